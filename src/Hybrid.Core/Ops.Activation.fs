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
        if Tensor.greaterOrEqual v 'T.Zero then
            'T.One / ('T.One + 'T.Exp(-v))
        else
            let e = 'T.Exp v
            e / ('T.One + e)

    /// σ(x) = 1 / (1 + e⁻ˣ). σ′ = y(1 − y).
    let sigmoid (x: Node<'T>) =
        Pointwise.unary "sigmoid" logistic (fun _ y -> y * ('T.One - y)) x

    /// tanh x. f′ = 1 − y².
    let tanh (x: Node<'T>) =
        Pointwise.unary "tanh" (fun v -> 'T.Tanh v) (fun _ y -> 'T.One - y * y) x

    /// max(0, x). f′ = 1 for x > 0, else 0.
    let relu (x: Node<'T>) =
        Pointwise.unary
            "relu"
            (fun v -> 'T.Max(v, 'T.Zero))
            (fun v _ -> if Tensor.greater v 'T.Zero then 'T.One else 'T.Zero)
            x

    /// x for x > 0, αx otherwise. f′ = 1 or α.
    let leakyRelu (alpha: float) (x: Node<'T>) =
        let a = Tensor.ofFloat<'T> alpha

        Pointwise.unary
            $"leakyRelu {alpha}"
            (fun v -> if Tensor.greater v 'T.Zero then v else a * v)
            (fun v _ -> if Tensor.greater v 'T.Zero then 'T.One else a)
            x

    /// softplus x = ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^−|x|) so that it never overflows.
    /// f′ = σ(x).
    let softplus (x: Node<'T>) =
        Pointwise.unary "softplus" (fun v -> 'T.Max(v, 'T.Zero) + 'T.LogP1('T.Exp(-'T.Abs v))) (fun v _ -> logistic v) x

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
    let softmax (z: Node<'T>) =
        let y = (Tensor.logSoftmaxRows z.Value).PointwiseExp()

        Graph.op "softmax" [| z |] y (fun g _ ->
            let dot = g.PointwiseMultiply(y).RowSums().ToColumnMatrix()
            y.PointwiseMultiply(g.Subtract(Tensor.broadcastTo z.Shape dot)))

    /// log softmax of each row: zᵢ − ln Σⱼ e^zⱼ, stable for any z.
    /// d/dz = g − softmax(z) ⊙ Σⱼ gⱼ, row by row.
    let logSoftmax (z: Node<'T>) =
        let y = Tensor.logSoftmaxRows z.Value

        Graph.op "logSoftmax" [| z |] y (fun g _ ->
            let total = g.RowSums().ToColumnMatrix()
            g.Subtract(y.PointwiseExp().PointwiseMultiply(Tensor.broadcastTo z.Shape total)))
