namespace Hybrid.Core

open MathNet.Numerics.LinearAlgebra

/// Loss functions: a scalar (1×1) node from predictions and targets of the same shape.
/// Targets are usually constants. Each is the mean over the batch, as PyTorch's defaults.
[<RequireQualifiedAccess>]
module Objectives =

    let private sameShape op (a: Node<'T>) (b: Node<'T>) =
        if a.Shape <> b.Shape then
            raise (ShapeMismatchException(op, a.Shape, b.Shape, "predictions and targets must have the same shape"))

    /// Mean squared error, mean((p − t)²), built from sub, mul and mean (d = p − t is used twice).
    let meanSquaredError (prediction: Node<'T>) (target: Node<'T>) =
        sameShape "meanSquaredError" prediction target
        let d = Arith.sub prediction target
        Arith.mul d d |> Reduce.mean

    /// Binary cross-entropy from probabilities p ∈ (0, 1):
    /// −mean(t·ln p + (1 − t)·ln(1 − p)). As in PyTorch, each logarithm is clamped at −100, so
    /// p = 0 or 1 gives a large finite loss rather than infinity, and a finite gradient.
    let binaryCrossEntropy (probability: Node<'T>) (target: Node<'T>) =
        sameShape "binaryCrossEntropy" probability target

        // ln x clamped at −100 as one op whose slope is 1/x above the clamp and 0 on it: at p = 0 or 1 the gradient
        // is finite (a log then a clip would give 0 · ∞ = NaN there).
        let floor = Tensor.ofFloat<'T> -100.0

        let clampedLog x =
            Pointwise.unary
                "clampedLog"
                (fun v -> 'T.Max('T.Log v, floor))
                (fun v y -> if Tensor.greater y floor then 'T.One / v else 'T.Zero)
                x

        let oneMinus x = Arith.neg x |> Arith.addScalar 1.0

        Arith.add
            (Arith.mul target (clampedLog probability))
            (Arith.mul (oneMinus target) (clampedLog (oneMinus probability)))
        |> Reduce.mean
        |> Arith.neg

    /// Binary cross-entropy from logits z (p = σ(z)), stable for any z:
    /// mean(softplus(z) − t·z), which equals the probability form but never takes ln 0.
    let binaryCrossEntropyWithLogits (logits: Node<'T>) (target: Node<'T>) =
        sameShape "binaryCrossEntropyWithLogits" logits target
        Arith.sub (Activations.softplus logits) (Arith.mul target logits) |> Reduce.mean

    /// Categorical cross-entropy from logits z (m samples × k classes) and target distributions t
    /// (one-hot rows, or any non-negative rows): −(1/m) Σ t ⊙ logSoftmax(z). Fused into one node
    /// for speed and stability: d/dz = (softmax(z) ⊙ Σⱼtⱼ − t) / m, which for one-hot rows is the
    /// familiar (softmax(z) − t) / m. Finite for logits of any size.
    let crossEntropyWithLogits (logits: Node<'T>) (target: Node<'T>) =
        sameShape "crossEntropyWithLogits" logits target
        let z, t = logits.Value, target.Value
        let s = logits.Shape
        let m = Tensor.ofFloat<'T>(float s.Rows)
        let logp = Tensor.logSoftmaxRows z
        let loss = t.PointwiseMultiply(logp).ColumnSums().Sum() / -m

        Graph.op "crossEntropyWithLogits" [| logits; target |] (Tensor.scalar loss) (fun (g: Matrix<'T>) i ->
            let scale = g[0, 0] / m

            if i = 0 then
                let mass = Tensor.broadcastTo s (t.RowSums().ToColumnMatrix())
                logp.PointwiseExp().PointwiseMultiply(mass).Subtract(t).Multiply(scale)
            else
                // d/dt = −logSoftmax(z) / m, for targets that are themselves learned.
                logp.Multiply(-scale))
