namespace Hybrid.Core

open System
open System.Collections.Generic
open MathNet.Numerics.LinearAlgebra

/// The graph of a user-defined layer for one batch size, between a fused step's buffers: recorded on its first step,
/// replayed on later ones (or, without a record, rebuilt every step).
type internal GraphLayerTrace<'T
    when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>> =
    {
        /// The arrays the record is bound to: the layer's input, its output's gradient, its input's gradient (empty for
        /// the first layer).
        Input: 'T[]
        Seed: 'T[]
        InputGradient: 'T[]
        Root: Node<'T>
        Recording: Recording<'T> option
        /// True once a replay has been checked against a fresh build.
        mutable Checked: bool
    }

/// A user-defined graph layer inside a fused step. The first step at each batch size builds the layer's graph
/// (rule.Forward) with its input node over the step's reused input buffer and its parameters as the model's variables
/// (updated in place by the optimizer), and records it (Replay.tryRecord); every later step at that size replays the
/// record: each op's value recomputed in place, the backward written into gradient buffers kept between steps, the input
/// and parameter gradients straight into the trainer's buffers. A warmed step allocates nothing.
///
/// Like torch.jit.trace, the record assumes the forward builds the same graph whatever the values: a forward that
/// branches on its input or parameters, or makes constants from them, would replay the first step's choices. The first
/// replay at each batch size is therefore checked against a fresh build (value and every gradient), and a layer whose
/// replay differs is rebuilt every step from then on, as is a layer with an op that has no in-place form (made with
/// Graph.op rather than Graph.opWith). A batch of another size (the last, partial one) gets its own record.
type internal GraphLayerRunner<'T
    when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
    (index: int, rule: GraphLayerRule, ps: Node<'T>[], inputs: int, outputs: int) =

    let traces = Dictionary<int, GraphLayerTrace<'T>>()

    // The step in flight: its trace, and for a rebuilt step (or the checked one) the fresh graph's input and output.
    let mutable current = Unchecked.defaultof<GraphLayerTrace<'T>>
    let mutable fresh = ValueNone
    let mutable replaying = false

    let build rows (input: 'T[]) =
        let m = Matrix<'T>.Build.Dense(rows, inputs, input)

        let x =
            if index > 0 then
                Graph.variable "input" m
            else
                Graph.constant m

        let y = rule.Forward(x, ps)

        if y.Shape <> Shape.create rows outputs then
            raise (
                ShapeMismatchException(
                    $"layer {index} ({rule.Name})",
                    Shape.create rows outputs,
                    y.Shape,
                    "a graph layer's output must have its declared width"
                )
            )

        struct (x, y)

    // Agreement to a few hundred rounding errors: a replay of the same graph differs by none or by summation order.
    let close (a: 'T[]) (b: 'T[]) =
        let tol = 1000.0 * Tensor.toFloat ('T.BitIncrement 'T.One - 'T.One) // machine epsilon
        let mutable ok = a.Length = b.Length
        let mutable k = 0

        while ok && k < a.Length do
            let x, y = Tensor.toFloat a[k], Tensor.toFloat b[k]
            ok <- abs (x - y) <= tol * (1.0 + abs x) || (Double.IsNaN x && Double.IsNaN y)
            k <- k + 1

        ok

    let copyGrad (grad: Matrix<'T> option) (into: 'T[]) =
        match grad with
        | Some m -> Tensor.columns(m).AsSpan().CopyTo(Span into)
        | None -> Array.Clear into

    // The built graph's backward, its gradients copied into the trainer's arrays.
    let rebuiltBackward rows (seed: 'T[]) (inputGradient: 'T[]) (paramGradients: 'T[][]) (x: Node<'T>) (y: Node<'T>) =
        for q in ps do
            q.ZeroGrad()

        Graph.backwardWith false (Matrix<'T>.Build.Dense(rows, outputs, seed)) y

        if inputGradient.Length > 0 then
            copyGrad x.Grad inputGradient

        for k in 0 .. ps.Length - 1 do
            copyGrad ps[k].Grad paramGradients[k]

    // Whether a trace is bound to these arrays (the workspace's, the same at every step of one batch size).
    static member private Bound(t: GraphLayerTrace<'T>, input: 'T[], seed: 'T[], inputGradient: 'T[]) =
        obj.ReferenceEquals(t.Input, input)
        && obj.ReferenceEquals(t.Seed, seed)
        && obj.ReferenceEquals(t.InputGradient, inputGradient)

    /// True when the last forward replayed a record rather than building the graph.
    member _.Replaying = replaying

    /// The layer's forward into output (rows × outputs, column-major) from input (rows × inputs, column-major).
    /// seed is the array the output's gradient will be in, inputGradient the one the input's goes to (empty for the first
    /// layer) and paramGradients the parameters', for the record to write into.
    member _.Forward(rows: int, input: 'T[], output: 'T[], seed: 'T[], inputGradient: 'T[], paramGradients: 'T[][]) =
        fresh <- ValueNone

        match traces.TryGetValue rows with
        | true, t when GraphLayerRunner<'T>.Bound(t, input, seed, inputGradient) && t.Recording.IsSome ->
            current <- t
            replaying <- true
            t.Recording.Value.Forward()

            if not t.Checked then
                // The first replay: the same step built afresh must give the same value (and, in Backward, gradients).
                let struct (x, y) = build rows input

                if close (Tensor.columns y.Value) (Tensor.columns t.Root.Value) then
                    fresh <- ValueSome(struct (x, y))
                else
                    traces[rows] <- { t with Recording = None }
                    replaying <- false
                    fresh <- ValueSome(struct (x, y))

            let value =
                match fresh with
                | ValueSome(struct (_, y)) when not replaying -> y.Value
                | _ -> t.Root.Value

            Tensor.columns(value).AsSpan().CopyTo(Span output)
        | true, t when GraphLayerRunner<'T>.Bound(t, input, seed, inputGradient) ->
            current <- t
            replaying <- false
            let struct (x, y) = build rows input
            fresh <- ValueSome(struct (x, y))
            Tensor.columns(y.Value).AsSpan().CopyTo(Span output)
        | _ ->
            let struct (x, y) = build rows input

            let wrap (n: Node<'T>) (a: 'T[]) =
                struct (n, Matrix<'T>.Build.Dense(n.Shape.Rows, n.Shape.Cols, a))

            let wanted =
                [|
                    if index > 0 then
                        wrap x inputGradient
                    for k in 0 .. ps.Length - 1 do
                        wrap ps[k] paramGradients[k]
                |]

            let recording =
                Replay.tryRecord y (Matrix<'T>.Build.Dense(rows, outputs, seed)) wanted

            let t =
                {
                    Input = input
                    Seed = seed
                    InputGradient = inputGradient
                    Root = y
                    Recording = recording
                    Checked = false
                }

            traces[rows] <- t
            current <- t
            // The record's values are this build's; a graph that cannot be recorded is used as built.
            replaying <- recording.IsSome

            if not replaying then
                fresh <- ValueSome(struct (x, y))

            Tensor.columns(y.Value).AsSpan().CopyTo(Span output)

    /// The layer's backward: the gradients of its input (unless empty) and of its parameters, from the output's gradient
    /// in the seed array given to Forward.
    member _.Backward(rows: int, seed: 'T[], inputGradient: 'T[], paramGradients: 'T[][]) =
        match replaying, fresh with
        | true, ValueSome(struct (x, y)) ->
            // The checked replay: its gradients against the fresh build's.
            current.Recording.Value.Backward()
            current.Checked <- true
            let replayed = Array.map Array.copy paramGradients
            let replayedInput = Array.copy inputGradient
            rebuiltBackward rows seed inputGradient paramGradients x y

            let same =
                Array.forall2 close replayed paramGradients && close replayedInput inputGradient

            if same then
                // Keep the replay's numbers, which later steps will give.
                for k in 0 .. ps.Length - 1 do
                    replayed[k].AsSpan().CopyTo(Span paramGradients[k])

                replayedInput.AsSpan().CopyTo(Span inputGradient)
            else
                traces[rows] <- { current with Recording = None }

            for q in ps do
                q.ZeroGrad()
        | true, ValueNone -> current.Recording.Value.Backward()
        | false, ValueSome built ->
            let struct (x, y) = built
            rebuiltBackward rows seed inputGradient paramGradients x y

            for q in ps do
                q.ZeroGrad()
        | false, ValueNone -> invalidOp $"layer {index} ({rule.Name}): backward without a forward"

        fresh <- ValueNone
