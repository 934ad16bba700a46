namespace Hybrid.Core

open System
open MathNet.Numerics.LinearAlgebra

/// What a model is trained to minimise, and how its raw outputs become predictions.
type Objective =
    /// Mean squared error on the raw outputs (regression, or XOR with a sigmoid output layer).
    | MeanSquaredError
    /// Binary cross-entropy on outputs that are already probabilities (a sigmoid output layer).
    | BinaryCrossEntropy
    /// Binary cross-entropy on logits (no output activation), stable.
    | BinaryCrossEntropyWithLogits
    /// Categorical cross-entropy on logits (no output activation), fused with log-softmax.
    | SoftmaxCrossEntropy

/// Training steps and evaluation of a model against an objective.
[<RequireQualifiedAccess>]
module Training =

    /// The objective's loss node for a batch of outputs and targets.
    let loss (objective: Objective) (output: Node<'T>) (target: Node<'T>) =
        match objective with
        | MeanSquaredError -> Loss.meanSquaredError output target
        | BinaryCrossEntropy -> Loss.binaryCrossEntropy output target
        | BinaryCrossEntropyWithLogits -> Loss.binaryCrossEntropyWithLogits output target
        | SoftmaxCrossEntropy -> Loss.crossEntropyWithLogits output target

    /// The model's predictions from raw outputs: probabilities for the cross-entropies (softmax
    /// or sigmoid of the logits), the outputs themselves otherwise.
    let predictions (objective: Objective) (output: Matrix<'T>) =
        match objective with
        | SoftmaxCrossEntropy -> (Tensor.logSoftmaxRows output).PointwiseExp()
        | BinaryCrossEntropyWithLogits -> Tensor.map Activation.logistic output
        | MeanSquaredError
        | BinaryCrossEntropy -> output

    /// One optimisation step on a batch: forward in training mode, loss, backward, optional
    /// gradient clipping, update at rate lr. Returns the batch's loss before the update and the
    /// model's outputs for the batch. A non-finite loss is returned without updating anything.
    let step
        (model: Model<'T>)
        (objective: Objective)
        (optimizer: OptimizerState<'T>)
        (clipNorm: float option)
        (lr: float)
        (rng: Random)
        (x: Matrix<'T>)
        (y: Matrix<'T>)
        =
        optimizer.ZeroGrad()
        let pass = { Mode = Training; Random = rng }
        let output = Model.forward pass model (Graph.constant x)
        let l = loss objective output (Graph.constant y)
        let value = Tensor.toFloat l.Value[0, 0]

        if Double.IsFinite value then
            Graph.backward l

            match clipNorm with
            | Some maxNorm -> Optimizer.clipGradNorm maxNorm optimizer.Parameters |> ignore
            | None -> ()

            optimizer.Step lr

        struct (value, output.Value)

    /// The model's raw outputs for a batch, in evaluation mode (no dropout, no gradients kept).
    let evaluate (model: Model<'T>) (x: Matrix<'T>) =
        let pass = { Mode = Evaluation; Random = Random 0 }
        (Model.forward pass model (Graph.constant x)).Value
