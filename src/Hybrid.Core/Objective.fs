namespace Hybrid.Core

open System
open System.Numerics
open MathNet.Numerics.LinearAlgebra

/// One training loss, described once: its value and its gradient with respect to the outputs, as one kernel over
/// column-major blocks of m samples × k outputs, and how its outputs read as predictions. The graph step
/// (LossFunction.graph) and the fused step (FusedTrainer) both run this kernel, so they compute the same numbers;
/// each kernel is property-checked against the composite of graph ops in Objectives.
[<AbstractClass>]
/// The Objective loss as an ObjectiveRule, running the kernel above.
type ObjectiveRule() =
    /// The name shown in summaries and graph drawings.
    abstract Name: string

    /// The loss (a mean, as PyTorch's defaults) of m×k outputs against targets, and dL/doutput written to gradient.
    abstract Compute<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>> :
        m: int * k: int * output: ReadOnlySpan<'T> * target: ReadOnlySpan<'T> * gradient: Span<'T> -> float

    /// The predictions (probabilities where the loss defines them) from m×k raw outputs; by default the outputs.
    abstract Predict<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>> :
        m: int * k: int * output: ReadOnlySpan<'T> * into: Span<'T> -> unit

    /// <inheritdoc/>
    default _.Predict<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (m: int, k: int, output: ReadOnlySpan<'T>, into: Span<'T>)
        =
        output.Slice(0, m * k).CopyTo into

    /// <inheritdoc/>
    override r.ToString() = r.Name

/// The built-in losses' kernels (scalar loops: a loss is over a batch's outputs only, a small fraction of a step).
module ObjectiveRules =

    // PyTorch's clamps: each logarithm of the binary cross-entropy at −100, and the denominator of its gradient
    // at 1e-12 (binary_cross_entropy_backward's EPSILON), so p = 0 or 1 gives a large finite loss and a finite
    // gradient instead of ∞ · 0 = NaN.
    let private logFloor = -100.0
    let private epsilon = 1e-12

    let private clampedLog<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (p: 'T)
        =
        Math.Max(Tensor.toFloat ('T.Log p), logFloor)

    /// mean((p − t)²); d/dp = 2(p − t) / (m·k).
    [<OptimizedFromFirstCall>]
    let private meanSquaredErrorKernel<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (m: int, k: int, p: ReadOnlySpan<'T>, t: ReadOnlySpan<'T>, g: Span<'T>)
        : float =
        let count = m * k
        let scale = Tensor.ofFloat<'T>(2.0 / float count)
        let mutable total = 0.0

        for i in 0 .. count - 1 do
            let d = p[i] - t[i]
            let wide = Tensor.toFloat d
            total <- total + wide * wide
            g[i] <- scale * d

        total / float count

    /// The MeanSquaredError loss as an ObjectiveRule, running the kernel above.
    type MeanSquaredErrorRule() =
        inherit ObjectiveRule()
        /// <inheritdoc/>
        override _.Name = "meanSquaredError"

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Compute<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, k: int, p: ReadOnlySpan<'T>, t: ReadOnlySpan<'T>, g: Span<'T>)
            : float =
            meanSquaredErrorKernel (m, k, p, t, g)

    /// −mean(t·ln p + (1 − t)·ln(1 − p)) on probabilities, each log clamped at −100 (PyTorch);
    /// d/dp = (p − t) / max(p(1 − p), 1e-12) / (m·k), PyTorch's rule, finite at p = 0 and 1.
    [<OptimizedFromFirstCall>]
    let private binaryCrossEntropyKernel<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (m: int, k: int, p: ReadOnlySpan<'T>, t: ReadOnlySpan<'T>, g: Span<'T>)
        : float =
        let count = m * k
        let invN = Tensor.ofFloat<'T>(1.0 / float count)
        let eps = Tensor.ofFloat<'T> epsilon
        let mutable total = 0.0

        for i in 0 .. count - 1 do
            let pi, ti = p[i], t[i]
            let q = 'T.One - pi
            let tw = Tensor.toFloat ti
            total <- total - (tw * clampedLog pi + (1.0 - tw) * clampedLog q)
            let denominator = 'T.Max(pi * q, eps)
            let residual = pi - ti
            let share = residual / denominator
            g[i] <- share * invN

        total / float count

    /// The BinaryCrossEntropy loss as an ObjectiveRule, running the kernel above.
    type BinaryCrossEntropyRule() =
        inherit ObjectiveRule()
        /// <inheritdoc/>
        override _.Name = "binaryCrossEntropy"

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Compute<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, k: int, p: ReadOnlySpan<'T>, t: ReadOnlySpan<'T>, g: Span<'T>)
            : float =
            binaryCrossEntropyKernel (m, k, p, t, g)

    /// mean(softplus(z) − t·z) on logits z (p = σ(z)), finite for any z; d/dz = (σ(z) − t) / (m·k).
    /// Predictions are σ(z).
    [<OptimizedFromFirstCall>]
    let private binaryCrossEntropyWithLogitsKernel<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (m: int, k: int, z: ReadOnlySpan<'T>, t: ReadOnlySpan<'T>, g: Span<'T>)
        : float =
        let count = m * k
        let invN = Tensor.ofFloat<'T>(1.0 / float count)
        let mutable total = 0.0

        for i in 0 .. count - 1 do
            let zi, ti = z[i], t[i]
            let softplus = 'T.Max(zi, 'T.Zero) + 'T.LogP1('T.Exp(-'T.Abs zi))
            total <- total + Tensor.toFloat (softplus - ti * zi)
            let residual = ActivationRules.logistic zi - ti
            g[i] <- residual * invN

        total / float count

    /// The BinaryCrossEntropyWithLogits loss as an ObjectiveRule, running the kernel above.
    type BinaryCrossEntropyWithLogitsRule() =
        inherit ObjectiveRule()
        /// <inheritdoc/>
        override _.Name = "binaryCrossEntropyWithLogits"

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Compute<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, k: int, z: ReadOnlySpan<'T>, t: ReadOnlySpan<'T>, g: Span<'T>)
            : float =
            binaryCrossEntropyWithLogitsKernel (m, k, z, t, g)

        /// <inheritdoc/>
        override _.Predict<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, k: int, z: ReadOnlySpan<'T>, into: Span<'T>)
            =
            ActivationRules.sigmoid.Forward(m, k, z, into)

    /// −(1/m) Σ t ⊙ logSoftmax(z) on logits (rows of targets may be any non-negative distribution);
    /// d/dz = (softmax(z) ⊙ Σⱼtⱼ − t) / m. Each row is shifted by its maximum, so exp never overflows.
    /// Predictions are the softmax of each row.
    [<OptimizedFromFirstCall>]
    let private softmaxCrossEntropyKernel<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (m: int, k: int, z: ReadOnlySpan<'T>, t: ReadOnlySpan<'T>, g: Span<'T>)
        : float =
        let invM = Tensor.ofFloat<'T>(1.0 / float m)
        let mutable total = 0.0

        for i in 0 .. m - 1 do
            let mutable top = z[i]

            for j in 1 .. k - 1 do
                top <- 'T.Max(top, z[j * m + i])

            let mutable sum = 'T.Zero
            let mutable mass = 'T.Zero

            for j in 0 .. k - 1 do
                sum <- sum + 'T.Exp(z[j * m + i] - top)
                mass <- mass + t[j * m + i]

            let lse = 'T.Log sum

            for j in 0 .. k - 1 do
                let shifted = z[j * m + i] - top
                let logp = shifted - lse
                total <- total - Tensor.toFloat (t[j * m + i] * logp)
                let p = 'T.Exp logp
                let scaled = p * mass
                let residual = scaled - t[j * m + i]
                g[j * m + i] <- residual * invM

        total / float m

    /// The SoftmaxCrossEntropy loss as an ObjectiveRule, running the kernel above.
    type SoftmaxCrossEntropyRule() =
        inherit ObjectiveRule()
        /// <inheritdoc/>
        override _.Name = "crossEntropyWithLogits"

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Compute<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, k: int, z: ReadOnlySpan<'T>, t: ReadOnlySpan<'T>, g: Span<'T>)
            : float =
            softmaxCrossEntropyKernel (m, k, z, t, g)

        /// <inheritdoc/>
        override _.Predict<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, k: int, z: ReadOnlySpan<'T>, into: Span<'T>)
            =
            ActivationRules.softmax.Forward(m, k, z, into)

    /// −(1/m) Σ t ⊙ ln p on probabilities (a Softmax last layer), each log clamped at −100 as the binary
    /// cross-entropy's; d/dp = −t / max(p, 1e-12) / m.
    [<OptimizedFromFirstCall>]
    let private categoricalCrossEntropyKernel<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (m: int, k: int, p: ReadOnlySpan<'T>, t: ReadOnlySpan<'T>, g: Span<'T>)
        : float =
        let count = m * k
        let invM = Tensor.ofFloat<'T>(1.0 / float m)
        let eps = Tensor.ofFloat<'T> epsilon
        let mutable total = 0.0

        for i in 0 .. count - 1 do
            total <- total - Tensor.toFloat t[i] * clampedLog p[i]
            let share = t[i] / 'T.Max(p[i], eps)
            let scaled = share * invM
            g[i] <- -scaled

        total / float m

    /// The CategoricalCrossEntropy loss as an ObjectiveRule, running the kernel above.
    type CategoricalCrossEntropyRule() =
        inherit ObjectiveRule()
        /// <inheritdoc/>
        override _.Name = "categoricalCrossEntropy"

        /// <inheritdoc/>
        [<OptimizedFromFirstCall>]
        override _.Compute<'T
            when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
            (m: int, k: int, p: ReadOnlySpan<'T>, t: ReadOnlySpan<'T>, g: Span<'T>)
            : float =
            categoricalCrossEntropyKernel (m, k, p, t, g)

    /// The shared MeanSquaredErrorRule.
    let meanSquaredError = MeanSquaredErrorRule() :> ObjectiveRule
    /// The shared BinaryCrossEntropyRule.
    let binaryCrossEntropy = BinaryCrossEntropyRule() :> ObjectiveRule

    /// The shared BinaryCrossEntropyWithLogitsRule.
    let binaryCrossEntropyWithLogits =
        BinaryCrossEntropyWithLogitsRule() :> ObjectiveRule

    /// The shared SoftmaxCrossEntropyRule.
    let softmaxCrossEntropy = SoftmaxCrossEntropyRule() :> ObjectiveRule
    /// The shared CategoricalCrossEntropyRule.
    let categoricalCrossEntropy = CategoricalCrossEntropyRule() :> ObjectiveRule

/// What a model is trained to minimise, and how its raw outputs become predictions.
[<RequireQualifiedAccess>]
type LossFunction =
    /// Mean squared error on the raw outputs (regression, or XOR with a sigmoid output layer).
    | MeanSquaredError
    /// Binary cross-entropy on outputs that are already probabilities (a sigmoid output layer).
    | BinaryCrossEntropy
    /// Binary cross-entropy on logits (no output activation), stable.
    | BinaryCrossEntropyWithLogits
    /// Categorical cross-entropy on logits (no output activation), fused with log-softmax.
    | SoftmaxCrossEntropy
    /// Categorical cross-entropy on probabilities (a Softmax output layer).
    | CategoricalCrossEntropy

/// Each loss's one description, its graph node and its predictions.
[<RequireQualifiedAccess>]
module LossFunction =

    /// The rule both training paths run for a loss: the only place that maps the cases to their math.
    let rule (loss: LossFunction) : ObjectiveRule =
        match loss with
        | LossFunction.MeanSquaredError -> ObjectiveRules.meanSquaredError
        | LossFunction.BinaryCrossEntropy -> ObjectiveRules.binaryCrossEntropy
        | LossFunction.BinaryCrossEntropyWithLogits -> ObjectiveRules.binaryCrossEntropyWithLogits
        | LossFunction.SoftmaxCrossEntropy -> ObjectiveRules.softmaxCrossEntropy
        | LossFunction.CategoricalCrossEntropy -> ObjectiveRules.categoricalCrossEntropy

    /// The loss's node for a batch of outputs and targets: its value and its gradient in the outputs from the
    /// rule's kernel. Targets are data here (the composite losses in Objectives also differentiate the targets).
    let graph (loss: LossFunction) (output: Node<'T>) (target: Node<'T>) =
        if output.Shape <> target.Shape then
            raise (
                ShapeMismatchException(
                    $"{loss}",
                    output.Shape,
                    target.Shape,
                    "predictions and targets must have the same shape"
                )
            )

        let r = rule loss
        let s = output.Shape
        let g = Array.zeroCreate<'T> s.Count

        let value =
            r.Compute(
                s.Rows,
                s.Cols,
                ReadOnlySpan(Tensor.columns output.Value),
                ReadOnlySpan(Tensor.columns target.Value),
                Span g
            )

        Graph.op r.Name [| output; target |] (Tensor.scalar (Tensor.ofFloat<'T> value)) (fun seed i ->
            if i = 0 then
                Matrix<'T>.Build.Dense(s.Rows, s.Cols, g).Multiply(seed[0, 0])
            else
                invalidOp
                    $"{r.Name}: a training loss treats its targets as data; use the Objectives functions to differentiate the targets")

    /// The model's predictions from raw outputs: probabilities for the cross-entropies on logits (softmax or sigmoid),
    /// the outputs themselves otherwise.
    let predictions (loss: LossFunction) (output: Matrix<'T>) =
        let s = Tensor.shape output
        let into = Array.zeroCreate<'T> s.Count
        (rule loss).Predict(s.Rows, s.Cols, ReadOnlySpan(Tensor.columns output), Span into)
        Matrix<'T>.Build.Dense(s.Rows, s.Cols, into)
