using Hybrid.Autograd;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

public class GradCheckTests
{
    static readonly Matrix<double> Point = Matrix<double>.Build.DenseOfRowArrays([0.5, -1.0, 2.0]);

    /// <summary>A user-written cube op, x³, with the derivative 3x² or, to be caught, a wrong 2x².</summary>
    static Variable<double> Cube(Variable<double> x, double factor) =>
        Variable.Custom("cube", [x], x.Value.PointwisePower(3.0),
            (g, _) => g.PointwiseMultiply(x.Value.PointwisePower(2.0) * factor));

    [Fact]
    public void A_correct_user_op_passes()
    {
        var result = GradCheck.Check(v => Cube(v[0], 3.0).Sum(), Point);
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(3, result.Checked);
    }

    [Fact]
    public void A_deliberately_wrong_derivative_is_caught_and_located()
    {
        var result = GradCheck.Check(v => Cube(v[0], 2.0).Sum(), Point);
        Assert.False(result.Passed);
        // Worst at x = 2: analytic 2·4 = 8, numeric 3·4 = 12.
        Assert.Equal((0, 0, 2), (result.Input, result.Row, result.Column));
        Assert.Equal(8.0, result.Analytic, 6);
        Assert.Equal(12.0, result.Numeric, 5);
        Assert.Contains("FAILED", result.ToString());
    }

    [Fact]
    public void Built_in_ops_pass_through_the_facade()
    {
        var a = Matrix<double>.Build.DenseOfRowArrays([0.3, -0.7], [1.1, 0.2]);
        var b = Matrix<double>.Build.DenseOfRowArrays([0.5], [-0.4]);
        var result = GradCheck.Check(v => (v[0].MatMul(v[1]).Tanh() * v[0].Sum(1)).Softplus().Mean(), a, b);
        Assert.True(result.Passed, result.ToString());
    }
}
