using System.Numerics;
using Hybrid.Core;
using MathNet.Numerics.LinearAlgebra;
using Microsoft.FSharp.Core;

namespace Hybrid.Autograd;

/// <summary>Creates the leaves of a computational graph, user-defined operations, and gradients.</summary>
public static class Variable
{
    static Variable() => Providers.EnsureInitialized();

    /// <summary>A leaf that wants a gradient: a parameter, or an input to differentiate by.</summary>
    /// <param name="value">The value; kept by reference, so in-place updates are seen by the graph.</param>
    /// <param name="name">A name for drawings.</param>
    public static Variable<T> Parameter<T>(Matrix<T> value, string? name = null)
        where T : struct, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(Graph.variable(name ?? "", value));
    }

    /// <summary>A 1×1 parameter.</summary>
    public static Variable<double> Parameter(double value, string? name = null) =>
        Parameter(Matrix<double>.Build.Dense(1, 1, value), name);

    /// <summary>A leaf that wants no gradient: data, targets, fixed constants.</summary>
    public static Variable<T> Constant<T>(Matrix<T> value)
        where T : struct, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(Graph.constant(value));
    }

    /// <summary>A 1×1 constant.</summary>
    public static Variable<double> Constant(double value) => Constant(Matrix<double>.Build.Dense(1, 1, value));

    /// <summary>
    /// A user-defined operation: its value, computed by the caller, and its local derivative.
    /// <paramref name="backward"/> receives the gradient of the output and an input's index, and
    /// returns the gradient with respect to that input (of that input's shape). Check it with
    /// <see cref="GradCheck.Check(Func{IReadOnlyList{Variable{double}}, Variable{double}}, Matrix{double}[])"/>.
    /// </summary>
    /// <param name="op">The operation's name, shown in drawings and errors.</param>
    /// <param name="inputs">The operands.</param>
    /// <param name="value">The operation's result.</param>
    /// <param name="backward">(gradient of the output, input index) → gradient with respect to that input.</param>
    public static Variable<T> Custom<T>(string op, IReadOnlyList<Variable<T>> inputs, Matrix<T> value, Func<Matrix<T>, int, Matrix<T>> backward)
        where T : struct, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(op);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(backward);
        return new(Graph.op(op, inputs.Select(v => v.Node).ToArray(), value, FuncConvert.FromFunc(backward)));
    }

    /// <summary>
    /// The gradients of the scalar <paramref name="output"/> with respect to <paramref name="wrt"/> only,
    /// like <c>torch.autograd.grad</c>: no <see cref="Variable{T}.Grad"/> is changed, and only paths that
    /// reach a chosen node are differentiated. Releases the graph.
    /// </summary>
    public static IReadOnlyList<Matrix<T>> Gradients<T>(Variable<T> output, params Variable<T>[] wrt)
        where T : struct, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(wrt);
        return Graph.grad(wrt.Select(v => v.Node), output.Node);
    }
}
