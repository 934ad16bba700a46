using Hybrid.Core;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.FSharp.Core;

namespace Hybrid.Autograd;

/// <summary>
/// The outcome of <see cref="GradCheck.Check(Func{IReadOnlyList{Variable{double}}, Variable{double}}, Matrix{double}[])"/>:
/// the worst disagreement between backward's gradient and central finite differences, and where it is.
/// </summary>
/// <param name="Passed">True when the worst error is within the tolerance and every gradient is finite.</param>
/// <param name="MaxError">The largest |a − n| / max(1, |a|, |n|): relative above one, absolute below.</param>
/// <param name="Input">Index of the input holding the worst element.</param>
/// <param name="Row">Row of the worst element.</param>
/// <param name="Column">Column of the worst element.</param>
/// <param name="Analytic">The backward (analytic) derivative there.</param>
/// <param name="Numeric">The finite-difference derivative there.</param>
/// <param name="Tolerance">The tolerance the error was held to.</param>
/// <param name="Checked">How many partial derivatives were compared.</param>
public sealed record GradCheckResult(
    bool Passed, double MaxError, int Input, int Row, int Column, double Analytic, double Numeric, double Tolerance, int Checked)
{
    /// <summary>A one-line verdict, with the worst element.</summary>
    public override string ToString()
    {
        var verdict = Passed ? "passed" : "FAILED";
        return $"gradcheck {verdict}: max error {MaxError:E2} (tolerance {Tolerance:E0}) at input {Input}[{Row}, {Column}]: " +
               $"analytic {Analytic:G6}, numeric {Numeric:G6}; {Checked} partial derivatives compared";
    }
}

/// <summary>
/// Checks gradients against finite differences in float64, in the spirit of
/// <c>torch.autograd.gradcheck</c>: use it to prove an operation of your own.
/// </summary>
public static class GradCheck
{
    /// <summary>The default finite-difference step, 1e-6.</summary>
    public const double DefaultStep = 1e-6;

    /// <summary>The default tolerance on the error, 1e-6.</summary>
    public const double DefaultTolerance = 1e-6;

    /// <summary>
    /// Compares the gradient of <paramref name="function"/> at <paramref name="inputs"/> computed by
    /// backward with central finite differences. A non-scalar output is contracted with fixed
    /// pseudo-random weights, so every output element is checked.
    /// </summary>
    /// <param name="function">Builds the output from variables holding the inputs.</param>
    /// <param name="inputs">The point to check at; not modified.</param>
    public static GradCheckResult Check(Func<IReadOnlyList<Variable<double>>, Variable<double>> function, params Matrix<double>[] inputs) =>
        Check(function, inputs, DefaultStep, DefaultTolerance);

    /// <summary>As <see cref="Check(Func{IReadOnlyList{Variable{double}}, Variable{double}}, Matrix{double}[])"/>, with a chosen step and tolerance.</summary>
    /// <param name="function">Builds the output from variables holding the inputs.</param>
    /// <param name="inputs">The point to check at; not modified.</param>
    /// <param name="step">The finite-difference step h.</param>
    /// <param name="tolerance">The largest error that passes.</param>
    public static GradCheckResult Check(
        Func<IReadOnlyList<Variable<double>>, Variable<double>> function, IReadOnlyList<Matrix<double>> inputs, double step, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        var f = FuncConvert.FromFunc<Node<double>[], Node<double>>(
            nodes => function(nodes.Select(n => new Variable<double>(n)).ToArray()).Node);
        var r = GradientCheck.checkWith(step, tolerance, f, inputs.ToArray());
        return new GradCheckResult(r.Passed, r.MaxError, r.Input, r.Row, r.Col, r.Analytic, r.Numeric, r.Tolerance, r.Checked);
    }
}
