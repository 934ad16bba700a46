namespace Hybrid.Core

open System
open System.Numerics
open MathNet.Numerics.LinearAlgebra

/// Activation functions, and the softmax family (applied to each row: one sample per row,
/// one class per column).
[<RequireQualifiedAccess>]
module Activations =

    /// The logistic function, 1 / (1 + e⁻ˣ), computed without overflow for any x.
    let logistic<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (v: 'T)
        =
        ActivationRules.logistic v

    /// The op of an activation's rule (ActivationRule): its forward kernel gives the value, its backward kernel the
    /// gradient, the very code the fused step runs.
    let apply (rule: ActivationRule) (x: Node<'T>) =
        let s = x.Shape
        let xs = Tensor.columns x.Value
        let y = Array.zeroCreate<'T> s.Count
        rule.Forward(s.Rows, s.Cols, ReadOnlySpan xs, Span y)

        Graph.opWith
            rule.Name
            [| x |]
            (Matrix<'T>.Build.Dense(s.Rows, s.Cols, y))
            (fun g _ ->
                let dx = Array.zeroCreate<'T> s.Count
                rule.Backward(s.Rows, s.Cols, ReadOnlySpan xs, ReadOnlySpan y, ReadOnlySpan(Tensor.columns g), Span dx)
                Matrix<'T>.Build.Dense(s.Rows, s.Cols, dx))
            (fun r -> rule.Forward(s.Rows, s.Cols, ReadOnlySpan xs, Span(Tensor.data r)))
            (fun g _ into ->
                rule.Backward(
                    s.Rows,
                    s.Cols,
                    ReadOnlySpan xs,
                    ReadOnlySpan y,
                    ReadOnlySpan(Tensor.data g),
                    Span(Tensor.data into)
                ))

    /// σ(x) = 1 / (1 + e⁻ˣ). σ′ = y(1 − y).
    let sigmoid (x: Node<'T>) = apply ActivationRules.sigmoid x

    /// tanh x. f′ = 1 − y².
    let tanh (x: Node<'T>) = apply ActivationRules.tanh x

    /// max(0, x). f′ = 1 for x > 0, else 0.
    let relu (x: Node<'T>) = apply ActivationRules.relu x

    /// x for x > 0, αx otherwise. f′ = 1 or α.
    let leakyRelu (alpha: float) (x: Node<'T>) =
        apply (ActivationRules.LeakyReLURule alpha) x

    /// softplus x = ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^−|x|) so that it never overflows.
    /// f′ = σ(x).
    let softplus (x: Node<'T>) = apply ActivationRules.softplus x

    /// The perceptron's step: 1 for x ≥ 0, else 0. Its derivative is 0 wherever it exists, so
    /// no gradient flows through it; the perceptron learns by its own rule instead.
    let step (x: Node<'T>) =
        Pointwise.unary
            "step"
            (fun v -> if Tensor.greaterOrEqual v 'T.Zero then 'T.One else 'T.Zero)
            (fun _ _ -> 'T.Zero)
            x

    /// softmax of each row: yᵢ = e^zᵢ / Σⱼ e^zⱼ, computed from z − max(z) so it stays finite.
    /// d/dz = y ⊙ (g − Σⱼ gⱼyⱼ), row by row.
    let softmax (z: Node<'T>) = apply ActivationRules.softmax z

    /// log softmax of each row: zᵢ − ln Σⱼ e^zⱼ, stable for any z.
    /// d/dz = g − softmax(z) ⊙ Σⱼ gⱼ, row by row.
    let logSoftmax (z: Node<'T>) =
        let y = Tensor.logSoftmaxRows z.Value

        let rows, cols = z.Shape.Rows, z.Shape.Cols
        // The row sums of the gradient, kept for the in-place backward.
        let totals = Array.zeroCreate<'T> rows

        Graph.opWith
            "logSoftmax"
            [| z |]
            y
            (fun g _ ->
                let total = g.RowSums().ToColumnMatrix()
                g.Subtract(y.PointwiseExp().PointwiseMultiply(Tensor.broadcastTo z.Shape total)))
            (fun r -> Tensor.logSoftmaxRowsInto z.Value r)
            (fun g _ into -> Tensor.logSoftmaxBackwardInto g y totals into)
