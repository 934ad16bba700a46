namespace Hybrid.Core

open System
open MathNet.Numerics.LinearAlgebra

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

/// The graph form of each loss, and the predictions it reads from a model's outputs.
[<RequireQualifiedAccess>]
module LossFunction =

    /// The loss's node for a batch of outputs and targets.
    let graph (loss: LossFunction) (output: Node<'T>) (target: Node<'T>) =
        match loss with
        | LossFunction.MeanSquaredError -> Objectives.meanSquaredError output target
        | LossFunction.BinaryCrossEntropy -> Objectives.binaryCrossEntropy output target
        | LossFunction.BinaryCrossEntropyWithLogits -> Objectives.binaryCrossEntropyWithLogits output target
        | LossFunction.SoftmaxCrossEntropy -> Objectives.crossEntropyWithLogits output target

    /// The model's predictions from raw outputs: probabilities for the cross-entropies (softmax
    /// or sigmoid of the logits), the outputs themselves otherwise.
    let predictions (loss: LossFunction) (output: Matrix<'T>) =
        match loss with
        | LossFunction.SoftmaxCrossEntropy -> (Tensor.logSoftmaxRows output).PointwiseExp()
        | LossFunction.BinaryCrossEntropyWithLogits -> Tensor.map Activations.logistic output
        | LossFunction.MeanSquaredError
        | LossFunction.BinaryCrossEntropy -> output

/// Training through the graph: each step is a forward pass in training mode, the loss, backward, optional gradient
/// clipping and the optimizer's update, on the model's own parameters. The reference the fused step is checked against.
type GraphTrainer<'T
    when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
    (model: Sequential<'T>, loss: LossFunction, optimizer: OptimizerSpec, clipNorm: float option) =
    let state = OptimizerState(optimizer, Sequential.parameters model |> Array.map snd)

    /// The optimizer's state over the model's parameters.
    member _.State = state

    /// A copy of the optimizer's steps and buffers, for a checkpoint.
    member _.Export() = state.Export()

    /// Puts back a state taken by Export.
    member _.Restore(saved: TrainerState<'T>) = state.Restore saved

    /// One step on a batch at learning rate lr (rng draws dropout masks). Returns the batch's loss before the update
    /// and the model's outputs for the batch. A non-finite loss is returned without updating anything.
    member _.Step(x: Matrix<'T>, y: Matrix<'T>, lr: float, rng: Random) : struct (float * Matrix<'T>) =
        state.ZeroGrad()
        let pass = { Mode = Training; Random = rng }
        let output = Sequential.forward pass model (Graph.constant x)
        let l = LossFunction.graph loss output (Graph.constant y)
        let value = Tensor.toFloat l.Value[0, 0]

        if Double.IsFinite value then
            Graph.backward l

            match clipNorm with
            | Some maxNorm -> OptimizerSpec.clipGradNorm maxNorm state.Parameters |> ignore
            | None -> ()

            state.Step lr

        struct (value, output.Value)
