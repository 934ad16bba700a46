namespace Hybrid.Core

open System
open System.Collections.Generic
open MathNet.Numerics.LinearAlgebra

/// The buffers of one batch size: each layer's output and its gradient, the batch itself, dropout masks.
type internal Workspace<'T
    when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>> =
    {
        Rows: int
        /// The batch's features row-major (one sample after another): column-major, that is Xᵀ (inputs × rows).
        X: Buffer<'T>
        /// X column-major, for a model whose first layer is not dense (elementwise layers need the usual layout).
        XColumns: Buffer<'T>
        Y: Buffer<'T>
        /// Outputs[i] is layer i's output (Outputs[0] is X's successor); Gradients[i] its gradient.
        Outputs: Buffer<'T>[]
        Gradients: Buffer<'T>[]
        Masks: Buffer<'T>[]
        /// The index of the batch's nonzeros, when the first layer is dense and the kernels have sparse products.
        Sparse: SparseIndex option
    }

/// A training step without a graph: the forward and backward passes of a sequential model fused layer by
/// layer into buffers allocated once, every operation on a provider's kernels, the same mathematics as the
/// graph's ops (and checked against them). After the first step of each batch size, a step allocates nothing.
/// Layers and losses come with their own rules (ActivationRule, ObjectiveRule), which this step runs; it restates no
/// layer's math, so every built-in layer and loss, and any user-defined activation, trains here.
type FusedTrainer<'T
    when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
    (model: Sequential<'T>, objective: LossFunction, optimizer: OptimizerSpec, clipNorm: float option) =

    let widths = Sequential.widths model.Inputs model.Specs
    let parameters = Sequential.parameters model |> Array.map snd
    // Parameters and their gradients and optimizer moments, as buffers over the model's own storage.
    let values =
        parameters |> Array.map (fun p -> HostBuffer(Tensor.data p.Value) :> Buffer<'T>)

    let grads =
        parameters
        |> Array.map (fun p -> HostBuffer(Array.zeroCreate<'T> p.Shape.Count) :> Buffer<'T>)

    let firsts =
        parameters
        |> Array.map (fun p -> HostBuffer(Array.zeroCreate<'T> p.Shape.Count) :> Buffer<'T>)

    let seconds =
        parameters
        |> Array.map (fun p -> HostBuffer(Array.zeroCreate<'T> p.Shape.Count) :> Buffer<'T>)

    let mutable steps = 0

    // The arrays behind the optimizer's buffers, for checkpoints.
    let hostData (buffers: Buffer<'T>[]) =
        buffers
        |> Array.map (fun b ->
            match b with
            | :? HostBuffer<'T> as h -> h.Data
            | _ -> invalidOp "FusedTrainer: optimizer buffers live on the host")

    // The index of each layer's first parameter (a dense layer owns two, a graph layer as many as its rule lists).
    let paramIndex =
        let mutable next = 0

        model.Layers
        |> Array.map (fun layer ->
            let start = next

            match layer with
            | DenseLayer _ -> next <- next + 2
            | GraphLayer(_, ps) -> next <- next + ps.Length
            | _ -> ()

            start)

    // Each user-defined graph layer's recorded graphs, replayed between the fused layers (GraphLayerRunner).
    let graphLayers =
        model.Layers
        |> Array.mapi (fun i layer ->
            match layer with
            | GraphLayer(rule, ps) -> GraphLayerRunner<'T>(i, rule, ps, widths[i], widths[i + 1])
            | _ -> Unchecked.defaultof<_>)

    let host (b: Buffer<'T>) =
        match b with
        | :? HostBuffer<'T> as h -> h.Data
        | _ -> invalidOp "FusedTrainer: a graph layer runs on host buffers"

    // Each graph layer's parameter-gradient arrays, gathered once.
    let graphLayerGrads =
        model.Layers
        |> Array.mapi (fun i layer ->
            match layer with
            | GraphLayer(_, ps) -> Array.init ps.Length (fun k -> host grads[paramIndex[i] + k])
            | _ -> [||])

    // The batch arrives row-major, as samples are stored: a first dense layer reads it as Xᵀ through transposed
    // products, so no transpose copy is made (and the gather is a plain copy per sample).
    let firstIsDense =
        match model.Specs[0] with
        | LayerSpec.Dense _ -> true
        | _ -> false

    let workspaces = Dictionary<int, Workspace<'T>>()

    // Each activation layer's rule, resolved once (so a step looks nothing up and allocates nothing); the loss's rule.
    let rules =
        model.Specs
        |> Array.map (fun spec ->
            match spec with
            | LayerSpec.Activation kind -> ActivationFunction.rule kind
            | _ -> Unchecked.defaultof<ActivationRule>)

    let objectiveRule = LossFunction.rule objective

    // A dense layer followed by an elementwise activation: its bias and the activation are one pass over its output
    // (AddRowVectorActivate), and the activation's backward pass sums the dense layer's bias gradient as it goes
    // (ActivateBackwardColumnSums). The same numbers as the separate kernels.
    let activationAfter =
        model.Specs
        |> Array.mapi (fun i spec ->
            match spec with
            | LayerSpec.Dense _ when i + 1 < model.Specs.Length ->
                match model.Specs[i + 1] with
                | LayerSpec.Activation _ -> rules[i + 1].Elementwise
                | _ -> false
            | _ -> false)

    // An activation after a dense layer that may run in place writes its output over the layer's, and its gradient over
    // the gradient it is given: one buffer less of each to stream through memory (the backward pass reads the
    // activation's output in place of its input, which the rule allows).
    let inPlace =
        model.Specs
        |> Array.mapi (fun i spec ->
            match spec with
            | LayerSpec.Activation _ when i > 0 ->
                match model.Specs[i - 1] with
                | LayerSpec.Dense _ -> rules[i].InPlace
                | _ -> false
            | _ -> false)

    // The first layer's products take the sparse path for batches with at most this fraction of nonzero inputs
    // (MNIST: about a fifth), where it is several times faster than the dense products.
    let maxDensity = FusedTrainer<'T>.SparseDensity
    let mutable sparseInputs = true

    // The buffers of one batch size.
    let newWorkspace (kernels: IKernels<'T>) rows =
        let alloc n = kernels.Allocate(rows * n)

        // Layer i's buffer is layer i − 1's where it runs in place (the unused one is dropped).
        let shared (buffers: Buffer<'T>[]) =
            for i in 1 .. buffers.Length - 1 do
                if inPlace[i] then
                    buffers[i] <- buffers[i - 1]

            buffers

        {
            Rows = rows
            X = alloc model.Inputs
            XColumns =
                (if firstIsDense then
                     kernels.Allocate 0
                 else
                     alloc model.Inputs)
            Y = alloc (Array.last widths)
            Outputs = shared (widths[1..] |> Array.map alloc)
            Gradients = shared (widths[1..] |> Array.map alloc)
            Masks = widths[1..] |> Array.map alloc
            Sparse =
                match kernels with
                | :? ISparseKernels<'T> as sparse when firstIsDense && sparseInputs ->
                    Some(sparse.CreateIndex(rows, model.Inputs))
                | _ -> None
        }

    // Looked up every step: optimised from its first call, as the step itself.
    [<OptimizedFromFirstCall>]
    let workspace (kernels: IKernels<'T>) rows =
        match workspaces.TryGetValue rows with
        | true, w -> w
        | _ ->
            let w = newWorkspace kernels rows
            workspaces[rows] <- w
            w

    // Evaluate's buffers, apart from the training steps' (an evaluation on another thread must not write theirs): one
    // batch size at a time, as an evaluation's batches are all one size but the last, which the caller may leave to the
    // graph, so that data sets of many sizes do not each keep buffers.
    let mutable evaluation: Workspace<'T> option = None
    let evaluationGate = obj ()

    let evaluationWorkspace (kernels: IKernels<'T>) rows =
        match evaluation with
        | Some w when w.Rows = rows -> w
        | _ ->
            evaluation <- None // the old buffers may go before the new are made
            let w = newWorkspace kernels rows
            evaluation <- Some w
            w

    /// True when a fused step runs the layer on its kernels: every built-in layer and user-defined activations. A
    /// user-defined graph layer runs as a graph between the fused layers, on the workspace's buffers, recorded on its first
    /// step at each batch size and replayed in place after (GraphLayerRunner: the graph must not depend on the values).
    static member Fuses(spec: LayerSpec) =
        match spec with
        | LayerSpec.Graph _ -> false
        | _ -> true

    /// The most nonzero inputs, as a fraction of a batch's, for which the first dense layer takes the sparse products.
    static member SparseDensity = 0.35

    /// True when the first layer is dense and may take the kernels' sparse products (SparseInputs): then a SparseBatch
    /// handed to Step is used.
    member _.IndexesInputs = firstIsDense && sparseInputs

    /// True when the model and objective can be trained by a fused step: every model can (graph layers as graphs).
    static member Supports(_model: Sequential<'T>, _objective: LossFunction) = true

    /// Optimizer steps taken.
    member _.Steps = steps

    /// A copy of the optimizer's steps and buffers, for a checkpoint (the same layout as GraphTrainer's).
    member _.Export() =
        TrainerState.export steps (hostData firsts) (hostData seconds)

    /// Puts back a state taken by Export (of this trainer or a GraphTrainer over the same layers).
    member _.Restore(state: TrainerState<'T>) =
        steps <- TrainerState.restore state (hostData firsts) (hostData seconds)

    /// Whether the first dense layer may use the kernels' sparse products on batches of mostly-zero inputs
    /// (default true). Set it before the first step.
    member _.SparseInputs
        with get () = sparseInputs
        and set (value: bool) = sparseInputs <- value

    /// One step on a batch whose rows are given by fill, which writes the features (rows × inputs) row-major, one
    /// sample after another, and the targets (rows × outputs) column-major into the spans it is handed. Returns the batch's mean loss before the update;
    /// outputs receives the batch's raw outputs (column-major) for accuracy. A non-finite loss updates nothing.
    member this.Step
        (kernels: IKernels<'T>, rows: int, fill: Action<Span<'T>, Span<'T>>, lr: float, rng: Random, outputs: Span<'T>)
        : float =
        this.Step(kernels, rows, fill, lr, rng, outputs, null)

    /// Step, for a batch that is also samples batch.Order[batch.First ..] of a data set whose nonzeros were found once
    /// (batch may be null): when the first layer takes the sparse products, its index is gathered from them, and fill is
    /// handed an empty features span (only the targets are needed), rather than the batch filled and searched.
    [<OptimizedFromFirstCall>]
    member this.Step
        (
            kernels: IKernels<'T>,
            rows: int,
            fill: Action<Span<'T>, Span<'T>>,
            lr: float,
            rng: Random,
            outputs: Span<'T>,
            batch: SparseBatch<'T>
        ) : float =
        this.Run(kernels, rows, fill, lr, rng, outputs, batch, false)

    /// True when Evaluate can run the model: every layer is fused (a graph layer records its graph for training).
    member _.Evaluates = model.Specs |> Array.forall FusedTrainer<'T>.Fuses

    /// The batch's mean loss and raw outputs (column-major, rows × outputs) with the weights as they are: the forward
    /// pass and loss of Step, on the same kernels, with dropout passing its input through and nothing updated. fill
    /// writes the features and targets as for Step. The buffers are kept for one batch size at a time, apart from the
    /// training steps'; calls from several threads take turns.
    [<OptimizedFromFirstCall>]
    member this.Evaluate
        (kernels: IKernels<'T>, rows: int, fill: Action<Span<'T>, Span<'T>>, outputs: Span<'T>)
        : float =
        if not this.Evaluates then
            invalidOp "FusedTrainer.Evaluate: the model has a graph layer; evaluate it with its graph"

        // One evaluation batch at a time: they share the buffers (the batches of evaluations on several threads take turns).
        Threading.Monitor.Enter evaluationGate

        try
            this.Run(kernels, rows, fill, 0.0, Unchecked.defaultof<Random>, outputs, null, true)
        finally
            Threading.Monitor.Exit evaluationGate

    [<OptimizedFromFirstCall>]
    member private _.Run
        (
            kernels: IKernels<'T>,
            rows: int,
            fill: Action<Span<'T>, Span<'T>>,
            lr: float,
            rng: Random,
            outputs: Span<'T>,
            batch: SparseBatch<'T>,
            evaluating: bool
        ) : float =
        if not (FusedTrainer<'T>.Supports(model, objective)) then
            invalidOp "FusedTrainer: the model has a layer or loss the fused step does not support; use Training.step"

        Profile.pause evaluating
        let whole = Profile.start ()
        let mark = Profile.start ()

        let w =
            if evaluating then
                evaluationWorkspace kernels rows
            else
                workspace kernels rows

        // The batch's index gathered from the data set's nonzeros, when it has them and the batch is sparse enough
        // (the same test as Index's, so a batch that fails here would fail there: it takes the dense products).
        let gathered =
            match w.Sparse, kernels with
            | Some index, (:? ISparseKernels<'T> as sk) when
                not (isNull batch)
                && sk.Gather(index, rows, batch.Source, batch.Order, batch.First, maxDensity)
                ->
                ValueSome(struct (sk, index))
            | _ -> ValueNone

        match w.X, w.Y with
        | (:? HostBuffer<'T> as x), (:? HostBuffer<'T> as y) ->
            // With the index gathered the features are never read: only the targets are filled.
            let features = if gathered.IsSome then Span<'T>.Empty else Span<'T>(x.Data)
            fill.Invoke(features, Span<'T>(y.Data))
        | _ -> invalidOp "FusedTrainer: batches are filled on the host"

        if not firstIsDense then
            match w.X, w.XColumns with
            | (:? HostBuffer<'T> as x), (:? HostBuffer<'T> as c) ->
                for r in 0 .. rows - 1 do
                    for j in 0 .. model.Inputs - 1 do
                        c.Data[j * rows + r] <- x.Data[r * model.Inputs + j]
            | _ -> invalidOp "FusedTrainer: batches are filled on the host"

        // A batch of mostly-zero inputs takes the first layer's sparse products (a value option: nothing allocated).
        let sparse =
            if gathered.IsSome || not (isNull batch) then
                gathered
            else
                match w.Sparse, kernels with
                | Some index, (:? ISparseKernels<'T> as sk) when sk.Index(index, rows, w.X, maxDensity) ->
                    ValueSome(struct (sk, index))
                | _ -> ValueNone

        Profile.stop ProfilePhase.Gather mark

        // Forward: each layer reads the previous output (the batch for layer 0, as Xᵀ when that layer is dense).
        let input i =
            if i > 0 then w.Outputs[i - 1]
            elif firstIsDense then w.X
            else w.XColumns

        for i in 0 .. model.Specs.Length - 1 do
            let n = widths[i + 1]
            let out = w.Outputs[i]

            match model.Specs[i] with
            | LayerSpec.Dense _ ->
                let k = paramIndex[i]
                // out = input·Wᵀ + b; for layer 0 the input is stored as Xᵀ.
                match sparse with
                | ValueSome(struct (sk, index)) when i = 0 ->
                    let mark = Profile.start ()
                    sk.SparseForward(index, n, values[k], values[k + 1], out)
                    Profile.stop ProfilePhase.SparseForward mark
                | _ ->
                    let mark = Profile.start ()
                    kernels.Gemm((i = 0), true, rows, n, widths[i], 'T.One, input i, values[k], 'T.Zero, out)
                    Profile.stop ProfilePhase.Product mark
                    let mark = Profile.start ()

                    if activationAfter[i] then
                        kernels.AddRowVectorActivate(rows, n, values[k + 1], out, rules[i + 1], w.Outputs[i + 1])
                        Profile.stop ProfilePhase.Activation mark
                    else
                        kernels.AddRowVector(rows, n, values[k + 1], out)
                        Profile.stop ProfilePhase.Bias mark
            | LayerSpec.Activation _ ->
                // Already made with the dense layer's bias, unless that layer took the sparse products.
                if not (i > 0 && activationAfter[i - 1] && not (i = 1 && sparse.IsSome)) then
                    let mark = Profile.start ()
                    kernels.Activate(rules[i], rows, n, input i, out)
                    Profile.stop ProfilePhase.Activation mark
            | LayerSpec.Dropout _ when evaluating ->
                match input i, out with
                | (:? HostBuffer<'T> as x), (:? HostBuffer<'T> as y) -> Array.Copy(x.Data, y.Data, rows * n)
                | _ -> invalidOp "FusedTrainer: dropout runs on the host"
            | LayerSpec.Dropout rate ->
                // The same draws, in the same order, as the graph's dropout (Layer.dropoutMask).

                match w.Masks[i], input i, out with
                | (:? HostBuffer<'T> as mask), (:? HostBuffer<'T> as x), (:? HostBuffer<'T> as y) when rate > 0.0 ->
                    // Mask and product in one pass over the buffers.
                    Layer.fillDropoutMaskWith rate rng rows n mask.Data x.Data y.Data
                | (:? HostBuffer<'T> as mask), _, _ ->
                    if rate = 0.0 then
                        Array.Fill(mask.Data, 'T.One) // the graph draws nothing for a zero rate
                    else
                        Layer.fillDropoutMask rate rng rows n mask.Data

                    kernels.Multiply(rows * n, input i, w.Masks[i], out)
                | _ -> invalidOp "FusedTrainer: dropout masks are drawn on the host"
            | LayerSpec.Graph _ ->
                // The layer's graph reads the input buffer in place; after its first step at this batch size it is
                // replayed into buffers kept between steps.
                graphLayers[i]
                    .Forward(
                        rows,
                        host (input i),
                        host out,
                        host w.Gradients[i],
                        (if i > 0 then host w.Gradients[i - 1] else Array.Empty<'T>()),
                        graphLayerGrads[i]
                    )

        let last = model.Specs.Length - 1
        let k = Array.last widths

        let mark = Profile.start ()

        let loss =
            match w.Outputs[last], w.Y, w.Gradients[last] with
            | (:? HostBuffer<'T> as o), (:? HostBuffer<'T> as y), (:? HostBuffer<'T> as g) ->
                objectiveRule.Compute(rows, k, ReadOnlySpan o.Data, ReadOnlySpan y.Data, Span g.Data)
            | _ -> invalidOp "FusedTrainer: the loss is computed on the host"

        w.Outputs[last].Download(outputs)
        Profile.stop ProfilePhase.Loss mark

        if not evaluating && Double.IsFinite loss then
            steps <- steps + 1

            let update p =
                let mark = Profile.start ()
                kernels.Update(optimizer, lr, steps, values[p], grads[p], firsts[p], seconds[p])
                Profile.stop ProfilePhase.Update mark

            // An update that may run on beside the work that follows, up to the next product (FinishUpdates).
            let startUpdate p =
                let mark = Profile.start ()
                kernels.StartUpdate(optimizer, lr, steps, values[p], grads[p], firsts[p], seconds[p])
                Profile.stop ProfilePhase.Update mark

            let finishUpdates () =
                let mark = Profile.start ()
                kernels.FinishUpdates()
                Profile.stop ProfilePhase.Update mark

            // Without clipping, which needs every gradient first, a layer's parameters are updated as soon as its
            // gradients exist, while they and the weights are still in cache: the input gradient is taken first,
            // with the old weights, so the result is the same as updating after the whole backward pass.
            let early = clipNorm.IsNone

            // Backward: Gradients[i] holds dL/d(output of layer i); each layer writes its input's gradient.
            for i in last .. -1 .. 0 do
                let n = widths[i + 1]
                let g = w.Gradients[i]
                let needInput = i > 0

                // Only an activation runs beside an update still in flight.
                match model.Specs[i] with
                | LayerSpec.Activation _ -> ()
                | _ -> finishUpdates ()

                match model.Specs[i] with
                | LayerSpec.Dense _ ->
                    let p = paramIndex[i]

                    // dInput = G·W, dW = Gᵀ·input (out × in), db = column sums of G.
                    if needInput then
                        let mark = Profile.start ()

                        kernels.Gemm(
                            false,
                            false,
                            rows,
                            widths[i],
                            n,
                            'T.One,
                            g,
                            values[p],
                            'T.Zero,
                            w.Gradients[i - 1]
                        )

                        Profile.stop ProfilePhase.InputGradient mark

                    // dW; with a sparse first layer and no clipping, the weights may be updated a part at a time
                    // as their gradients are made (the kernels say whether they do for this optimizer and batch).
                    let mark = Profile.start ()

                    let fused =
                        match sparse with
                        | ValueSome(struct (sk, index)) when i = 0 ->
                            let fused =
                                early
                                && sk.SparseWeightGradientAndUpdate(
                                    index,
                                    n,
                                    g,
                                    grads[p],
                                    optimizer,
                                    lr,
                                    steps,
                                    values[p],
                                    firsts[p],
                                    seconds[p]
                                )

                            if not fused then
                                sk.SparseWeightGradient(index, n, g, grads[p])

                            Profile.stop ProfilePhase.SparseWeightGradient mark
                            fused
                        | _ ->
                            kernels.Gemm(true, (i = 0), n, widths[i], rows, 'T.One, g, input i, 'T.Zero, grads[p])
                            Profile.stop ProfilePhase.WeightGradient mark
                            false

                    // The bias gradient; already summed by the activation after the layer, when there is one.
                    if not activationAfter[i] then
                        let mark = Profile.start ()
                        kernels.ColumnSums(rows, n, g, grads[p + 1])
                        Profile.stop ProfilePhase.BiasGradient mark

                    if early then
                        update (p + 1)

                        // The weights' update overlaps the activation's backward pass before the next layer's products.
                        // A dense layer's update is not fused into its weight-gradient product, as the sparse first
                        // layer's is: done a tile at a time in the Vector512 product's epilogue (192 × 12, or 12 whole
                        // columns), the same bits, it lost every pair on a Zen 5 (784-1024-1024-10 b256, weight gradient
                        // and update 2.16-2.30 -> 2.35-2.67 ms per step): Adam is compute-bound in cache, so the
                        // product's threads do its work in series, and only the gradient's reread is saved.
                        if not fused then
                            match model.Specs[max 0 (i - 1)] with
                            | LayerSpec.Activation _ when i > 0 -> startUpdate p
                            | _ -> update p
                | LayerSpec.Activation _ ->
                    if needInput then
                        let mark = Profile.start ()

                        if activationAfter[i - 1] then
                            kernels.ActivateBackwardColumnSums(
                                rules[i],
                                rows,
                                n,
                                input i,
                                w.Outputs[i],
                                g,
                                w.Gradients[i - 1],
                                grads[paramIndex[i - 1] + 1]
                            )
                        else
                            kernels.ActivateBackward(rules[i], rows, n, input i, w.Outputs[i], g, w.Gradients[i - 1])

                        Profile.stop ProfilePhase.ActivationBackward mark
                | LayerSpec.Dropout _ ->
                    if needInput then
                        kernels.Multiply(rows * n, g, w.Masks[i], w.Gradients[i - 1])
                | LayerSpec.Graph _ ->
                    graphLayers[i]
                        .Backward(
                            rows,
                            host g,
                            (if needInput then
                                 host w.Gradients[i - 1]
                             else
                                 Array.Empty<'T>()),
                            graphLayerGrads[i]
                        )

                    if early then
                        for k in 0 .. graphLayerGrads[i].Length - 1 do
                            update (paramIndex[i] + k)

            finishUpdates ()

            match clipNorm with
            | Some maxNorm ->
                let mutable total = 0.0

                for g in grads do
                    total <- total + kernels.SumOfSquares(g.Length, g)

                let factor = maxNorm / (sqrt total + 1e-6)

                if factor < 1.0 then
                    for g in grads do
                        kernels.Scale(g.Length, Tensor.ofFloat factor, g)

                for p in 0 .. parameters.Length - 1 do
                    update p
            | None -> ()

        Profile.stop ProfilePhase.Step whole
        loss
