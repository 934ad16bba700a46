using System.Numerics;
using Hybrid.Core;
using CoreActivation = Hybrid.Core.Activations;
using MathNet.Numerics.LinearAlgebra;

namespace Hybrid.Autograd;

/// <summary>
/// A node of a computational graph: a matrix value, the operation that produced it, and after
/// <see cref="Backward(bool)"/> the gradient of the output with respect to it. Operators and
/// methods build new nodes; reverse-mode differentiation then derives every gradient from the
/// local derivative of each elementary operation.
/// </summary>
/// <typeparam name="T">The element type: <see cref="float"/> for training, <see cref="double"/> for checks.</typeparam>
/// <remarks>Scalars are 1×1 matrices. Elementwise operators broadcast rows, columns and scalars as NumPy does.</remarks>
public sealed class Variable<T> where T : struct, IFloatingPointIeee754<T>
{
    internal Variable(Node<T> node) => Node = node;

    internal Node<T> Node { get; }

    /// <summary>The node's value. A parameter's value may be updated in place.</summary>
    public Matrix<T> Value => Node.Value;

    /// <summary>
    /// The gradient computed by the last backward pass, or <c>null</c> before one. Parameters
    /// accumulate it over passes until <see cref="ZeroGrad"/>.
    /// </summary>
    public Matrix<T>? Grad => Node.Grad?.Value;

    /// <summary>The operation that produced the node: <c>"variable"</c> and <c>"constant"</c> for leaves.</summary>
    public string Op => Node.Op;

    /// <summary>The name of a leaf, shown in drawings; empty for operation results.</summary>
    public string Name => Node.Name;

    /// <summary>Number of rows of <see cref="Value"/>.</summary>
    public int Rows => Node.Shape.Rows;

    /// <summary>Number of columns of <see cref="Value"/>.</summary>
    public int Columns => Node.Shape.Cols;

    /// <summary>True when a gradient flows to this node.</summary>
    public bool RequiresGrad => Node.RequiresGrad;

    /// <summary>The nodes this one was computed from; empty for leaves and once the graph is released.</summary>
    public IReadOnlyList<Variable<T>> Inputs => Node.Inputs.Select(n => new Variable<T>(n)).ToArray();

    /// <summary>
    /// Differentiates this scalar (1×1) node: afterwards every parameter it depends on holds the
    /// gradient in <see cref="Grad"/>. The graph is released unless <paramref name="keepGraph"/>.
    /// </summary>
    /// <param name="keepGraph">Keep the graph so that it can be differentiated again.</param>
    /// <exception cref="ArgumentException">The node is not 1×1.</exception>
    /// <exception cref="InvalidOperationException">The graph was released by an earlier pass.</exception>
    public void Backward(bool keepGraph = false)
    {
        if (Rows != 1 || Columns != 1)
            throw new ArgumentException(
                $"Backward: the output is {Rows}×{Columns}, not a scalar (1×1); reduce it with Sum() or Mean(), or pass a seed gradient.");
        Graph.backwardWith(keepGraph, Matrix<T>.Build.Dense(1, 1, T.One), Node);
    }

    /// <summary>Differentiates this node given the gradient <paramref name="seed"/> of a final output with respect to it.</summary>
    /// <param name="seed">dOutput/dThis, of this node's shape.</param>
    /// <param name="keepGraph">Keep the graph so that it can be differentiated again.</param>
    public void Backward(Matrix<T> seed, bool keepGraph = false)
    {
        ArgumentNullException.ThrowIfNull(seed);
        Graph.backwardWith(keepGraph, seed, Node);
    }

    /// <summary>Forgets the accumulated gradient.</summary>
    public void ZeroGrad() => Node.ZeroGrad();

    /// <summary>The graph behind this node as Graphviz DOT text, with each node's op, value and gradient.</summary>
    public string ToDot() => Dot.ofNode(Node);

    /// <summary>Elementwise sum, with broadcasting.</summary>
    public static Variable<T> operator +(Variable<T> a, Variable<T> b) => new(Arith.add(a.Node, b.Node));

    /// <summary>Elementwise difference, with broadcasting.</summary>
    public static Variable<T> operator -(Variable<T> a, Variable<T> b) => new(Arith.sub(a.Node, b.Node));

    /// <summary>Elementwise (Hadamard) product, with broadcasting. For the matrix product use <see cref="MatMul"/>.</summary>
    public static Variable<T> operator *(Variable<T> a, Variable<T> b) => new(Arith.mul(a.Node, b.Node));

    /// <summary>Elementwise quotient, with broadcasting.</summary>
    public static Variable<T> operator /(Variable<T> a, Variable<T> b) => new(Arith.div(a.Node, b.Node));

    /// <summary>Negation.</summary>
    public static Variable<T> operator -(Variable<T> a) => new(Arith.neg(a.Node));

    /// <summary>Adds a constant to every element.</summary>
    public static Variable<T> operator +(Variable<T> a, double c) => new(Arith.addScalar(c, a.Node));

    /// <summary>Adds a constant to every element.</summary>
    public static Variable<T> operator +(double c, Variable<T> a) => new(Arith.addScalar(c, a.Node));

    /// <summary>Subtracts a constant from every element.</summary>
    public static Variable<T> operator -(Variable<T> a, double c) => new(Arith.addScalar(-c, a.Node));

    /// <summary>A constant minus every element.</summary>
    public static Variable<T> operator -(double c, Variable<T> a) => new(Arith.addScalar(c, Arith.neg(a.Node)));

    /// <summary>Multiplies every element by a constant.</summary>
    public static Variable<T> operator *(Variable<T> a, double c) => new(Arith.mulScalar(c, a.Node));

    /// <summary>Multiplies every element by a constant.</summary>
    public static Variable<T> operator *(double c, Variable<T> a) => new(Arith.mulScalar(c, a.Node));

    /// <summary>Divides every element by a constant.</summary>
    public static Variable<T> operator /(Variable<T> a, double c) => new(Arith.mulScalar(1.0 / c, a.Node));

    /// <summary>The matrix product op(this)·op(other), each transposed when its flag says so.</summary>
    /// <param name="other">The right operand.</param>
    /// <param name="transposeThis">Use this node's transpose.</param>
    /// <param name="transposeOther">Use <paramref name="other"/>'s transpose.</param>
    /// <exception cref="ShapeMismatchException">The inner dimensions differ.</exception>
    public Variable<T> MatMul(Variable<T> other, bool transposeThis = false, bool transposeOther = false) =>
        new(Linalg.matmulWith(transposeThis, transposeOther, Node, other.Node));

    /// <summary>The transpose.</summary>
    public Variable<T> Transpose() => new(Linalg.transpose(Node));

    /// <summary>Adds the 1×n row <paramref name="bias"/> to every row (a dense layer's bias).</summary>
    public Variable<T> AddRowVector(Variable<T> bias) => new(Linalg.addRowVector(Node, bias.Node));

    /// <summary>Repeats rows or columns of size one to the given shape.</summary>
    public Variable<T> BroadcastTo(int rows, int columns) => new(Arith.broadcastTo(ShapeModule.create(rows, columns), Node));

    /// <summary>The sum of all elements, 1×1.</summary>
    public Variable<T> Sum() => new(Reduce.sum(Node));

    /// <summary>Sums along an axis: 0 sums down the rows (1×n), 1 across the columns (m×1).</summary>
    public Variable<T> Sum(int axis) => new(Reduce.sumAxis(axis, Node));

    /// <summary>The mean of all elements, 1×1.</summary>
    public Variable<T> Mean() => new(Reduce.mean(Node));

    /// <summary>The mean along an axis: 0 down the rows (1×n), 1 across the columns (m×1).</summary>
    public Variable<T> Mean(int axis) => new(Reduce.meanAxis(axis, Node));

    /// <summary>eˣ elementwise.</summary>
    public Variable<T> Exp() => new(Pointwise.exp(Node));

    /// <summary>ln x elementwise.</summary>
    public Variable<T> Log() => new(Pointwise.log(Node));

    /// <summary>xᵖ elementwise for a constant exponent.</summary>
    public Variable<T> Pow(double exponent) => new(Pointwise.pow(exponent, Node));

    /// <summary>√x elementwise.</summary>
    public Variable<T> Sqrt() => new(Pointwise.sqrt(Node));

    /// <summary>|x| elementwise.</summary>
    public Variable<T> Abs() => new(Pointwise.abs(Node));

    /// <summary>Every element clamped to [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public Variable<T> Clip(double min, double max) => new(Pointwise.clip(min, max, Node));

    /// <summary>The logistic sigmoid 1 / (1 + e⁻ˣ) elementwise.</summary>
    public Variable<T> Sigmoid() => new(CoreActivation.sigmoid(Node));

    /// <summary>tanh x elementwise.</summary>
    public Variable<T> Tanh() => new(CoreActivation.tanh(Node));

    /// <summary>max(0, x) elementwise.</summary>
    public Variable<T> Relu() => new(CoreActivation.relu(Node));

    /// <summary>x for positive x, αx otherwise.</summary>
    public Variable<T> LeakyRelu(double alpha = 0.01) => new(CoreActivation.leakyRelu(alpha, Node));

    /// <summary>ln(1 + eˣ) elementwise, computed without overflow.</summary>
    public Variable<T> Softplus() => new(CoreActivation.softplus(Node));

    /// <summary>Softmax of each row (one sample per row, one class per column).</summary>
    public Variable<T> Softmax() => new(CoreActivation.softmax(Node));

    /// <summary>Log-softmax of each row, stable for any logits.</summary>
    public Variable<T> LogSoftmax() => new(CoreActivation.logSoftmax(Node));

    /// <summary>The perceptron's step: 1 where x ≥ 0, else 0 (no gradient flows through it).</summary>
    public Variable<T> Step() => new(CoreActivation.step(Node));

    /// <inheritdoc/>
    public override string ToString() => Node.ToString();
}
