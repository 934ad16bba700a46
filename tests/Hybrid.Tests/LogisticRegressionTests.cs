using Hybrid.Autograd;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Tests;

public class LogisticRegressionTests
{
    // Four points in the plane with binary labels.
    static readonly Matrix<double> X = Matrix<double>.Build.DenseOfRowArrays(
        [1.0, 2.0], [-1.5, 0.5], [0.3, -2.0], [2.0, 1.0]);

    static readonly Matrix<double> Y = Matrix<double>.Build.DenseOfRowArrays([1.0], [0.0], [0.0], [1.0]);

    static readonly Matrix<double> W0 = Matrix<double>.Build.DenseOfRowArrays([0.4], [-0.3]);

    const double B0 = 0.1;

    /// <summary>The hand formula: dL/dw = Xᵀ(σ(Xw + b) − y)/n and dL/db = Σ(σ(Xw + b) − y)/n.</summary>
    static (Matrix<double> Dw, double Db) HandGradient()
    {
        var p = (X * W0 + B0).Map(z => 1 / (1 + Math.Exp(-z)));
        var residual = p - Y;
        return (X.TransposeThisAndMultiply(residual) / X.RowCount, residual.ColumnSums().Sum() / X.RowCount);
    }

    [Fact]
    public void Gradient_of_mean_binary_cross_entropy_equals_the_hand_formula()
    {
        var w = Variable.Parameter(W0.Clone(), "w");
        var b = Variable.Parameter(B0, "b");
        var x = Variable.Constant(X);
        var y = Variable.Constant(Y);

        var loss = Losses.BinaryCrossEntropy((x.MatMul(w) + b).Sigmoid(), y);
        loss.Backward();

        var (dw, db) = HandGradient();
        Assert.NotNull(w.Grad);
        Assert.Equal(2, w.Grad!.RowCount);
        for (var i = 0; i < 2; i++)
            Assert.Equal(dw[i, 0], w.Grad[i, 0], 12);
        Assert.Equal(db, b.Grad![0, 0], 12);
    }

    [Fact]
    public void Logits_form_gives_the_same_gradient()
    {
        var w = Variable.Parameter(W0.Clone(), "w");
        var b = Variable.Parameter(B0, "b");
        var grads = Variable.Gradients(
            Losses.BinaryCrossEntropyWithLogits(Variable.Constant(X).MatMul(w) + b, Variable.Constant(Y)), w, b);

        var (dw, db) = HandGradient();
        Assert.Equal(dw[0, 0], grads[0][0, 0], 12);
        Assert.Equal(dw[1, 0], grads[0][1, 0], 12);
        Assert.Equal(db, grads[1][0, 0], 12);
    }

    [Fact]
    public void Gradient_descent_separates_the_four_points()
    {
        var w = Variable.Parameter(W0.Clone(), "w");
        var b = Variable.Parameter(B0, "b");
        double first = double.NaN, last = double.NaN;
        for (var epoch = 0; epoch < 200; epoch++)
        {
            var loss = Losses.BinaryCrossEntropy((Variable.Constant(X).MatMul(w) + b).Sigmoid(), Variable.Constant(Y));
            if (epoch == 0) first = loss.Value[0, 0];
            last = loss.Value[0, 0];
            w.ZeroGrad();
            b.ZeroGrad();
            loss.Backward();
            w.Value.Subtract(w.Grad!.Multiply(0.5), w.Value);
            b.Value.Subtract(b.Grad!.Multiply(0.5), b.Value);
        }

        var predictions = (X * w.Value + b.Value[0, 0]).Column(0).Select(z => z > 0 ? 1.0 : 0.0);
        Assert.Equal(Y.Column(0).ToArray(), predictions.ToArray());
        Assert.True(last < first / 4, $"loss fell only from {first} to {last}");
    }
}
