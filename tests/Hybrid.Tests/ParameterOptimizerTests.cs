using System.Globalization;
using System.Text.Json;
using Hybrid.Autograd;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

/// <summary>The optimizers step any graph's parameters, as torch.optim does (reference: tests/reference/logistic_adam.py).</summary>
public class ParameterOptimizerTests
{
    static string Reference
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hybrid.sln"))) dir = dir.Parent;
            return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("the repository root (Hybrid.sln) above the tests"),
                "tests", "reference", "logistic_adam.json");
        }
    }

    static double Number(JsonElement e) => double.Parse(e.GetString()!, CultureInfo.InvariantCulture);

    [Fact]
    public void Logistic_regression_from_variables_stepped_by_Adam_follows_torch_optim_Adam_step_for_step()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Reference));
        var root = json.RootElement;
        var x = Matrix<double>.Build.DenseOfRowArrays(root.GetProperty("x").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()));
        var y = Matrix<double>.Build.DenseOfColumnArrays(root.GetProperty("y").EnumerateArray().Select(v => v.GetDouble()).ToArray());
        var w = Variable.Parameter(Matrix<double>.Build.DenseOfRowArrays([0.4], [-0.3]), "w");
        var b = Variable.Parameter(0.1, "b");
        var optimizer = Optimizer.Adam(0.1, weightDecay: 0.01).For([w, b], Schedule.Exponential(0.5));

        var steps = root.GetProperty("steps").EnumerateArray().ToArray();
        Assert.Equal(20, steps.Length);
        for (var step = 1; step <= steps.Length; step++)
        {
            optimizer.ZeroGrad();
            var loss = Losses.BinaryCrossEntropyWithLogits(Variable.Constant(x).MatMul(w) + b, Variable.Constant(y));
            loss.Backward();
            optimizer.Step();
            if (step % 5 == 0) optimizer.NextEpoch();

            var expected = steps[step - 1];
            Assert.Equal(Number(expected.GetProperty("loss")), loss.Value[0, 0], 1e-12);
            var ws = expected.GetProperty("w").EnumerateArray().Select(Number).ToArray();
            Assert.Equal(ws[0], w.Value[0, 0], 1e-12);
            Assert.Equal(ws[1], w.Value[1, 0], 1e-12);
            Assert.Equal(Number(expected.GetProperty("b")), b.Value[0, 0], 1e-12);
        }

        Assert.Equal(20, optimizer.Steps);
        Assert.Equal(0.1 * Math.Pow(0.5, 4), optimizer.LearningRate, 1e-15);
    }

    [Fact]
    public void Only_parameters_each_given_once_are_accepted()
    {
        var w = Variable.Parameter(Matrix<double>.Build.Dense(2, 1, 1.0), "w");
        var e = Assert.Throws<ArgumentException>(() => Optimizer.Sgd(0.1).For([w, w * 2.0]));
        Assert.Contains("parameter 1 is the result of", e.Message);
        Assert.Contains("same variable", Assert.Throws<ArgumentException>(() => Optimizer.Sgd(0.1).For([w, w])).Message);
        Assert.Throws<ArgumentException>(() => Optimizer.Sgd(0.1).For(Array.Empty<Variable<double>>()));
    }

    [Fact]
    public void A_parameter_the_loss_does_not_reach_is_left_alone()
    {
        var used = Variable.Parameter(3.0, "used");
        var unused = Variable.Parameter(5.0, "unused");
        var sgd = Optimizer.Sgd(0.1).For([used, unused]);
        sgd.ZeroGrad();
        (used * used).Backward();
        sgd.Step();
        Assert.Equal(3.0 - 0.1 * 6.0, used.Value[0, 0], 1e-15);
        Assert.Equal(5.0, unused.Value[0, 0]);
    }
}
