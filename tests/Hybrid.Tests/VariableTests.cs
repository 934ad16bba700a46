using Hybrid.Autograd;
using Hybrid.Core;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

public class VariableTests
{
    [Fact]
    public void Operators_build_the_expression_and_backward_derives_it()
    {
        // f = (2a − b/4 + 1)·a  ⇒  df/da = 4a − b/4 + 1, df/db = −a/4.
        var a = Variable.Parameter(3.0, "a");
        var b = Variable.Parameter(8.0, "b");
        var f = (2 * a - b / 4 + 1) * a;
        f.Backward();
        Assert.Equal(15.0, f.Value[0, 0], 12);
        Assert.Equal(11.0, a.Grad![0, 0], 12);
        Assert.Equal(-0.75, b.Grad![0, 0], 12);
    }

    [Fact]
    public void Mismatched_shapes_throw_an_exception_naming_the_op_and_shapes()
    {
        var a = Variable.Constant(Matrix<float>.Build.Dense(2, 3));
        var b = Variable.Constant(Matrix<float>.Build.Dense(3, 2));
        var e = Assert.Throws<ShapeMismatchException>(() => a + b);
        Assert.Contains("add", e.Message);
        Assert.Contains("2×3", e.Message);
        Assert.Contains("3×2", e.Message);
    }

    [Fact]
    public void Backward_of_a_matrix_output_asks_for_a_reduction()
    {
        var a = Variable.Parameter(Matrix<double>.Build.Dense(2, 2, 1.0));
        var e = Assert.Throws<ArgumentException>(() => (a * a).Backward());
        Assert.Contains("Sum()", e.Message);
    }

    [Fact]
    public void Float32_graphs_train_with_the_same_api()
    {
        var w = Variable.Parameter(Matrix<float>.Build.Dense(1, 1, 0f), "w");
        for (var i = 0; i < 100; i++)
        {
            var loss = Losses.MeanSquaredError(w * 1.0, Variable.Constant(Matrix<float>.Build.Dense(1, 1, 3f)));
            w.ZeroGrad();
            loss.Backward();
            w.Value.Subtract(w.Grad!.Multiply(0.1f), w.Value);
        }

        Assert.Equal(3f, w.Value[0, 0], 4);
    }

    [Fact]
    public void A_graph_draws_itself_as_dot()
    {
        var w = Variable.Parameter(0.5, "w");
        var y = (w * Variable.Constant(2.0)).Sigmoid();
        y.Backward(keepGraph: true);
        var dot = y.ToDot();
        Assert.Contains("variable w", dot);
        Assert.Contains("grad [0.3932]", dot);
        Assert.Equal(2, y.Inputs[0].Inputs.Count);
    }
}
