namespace Hybrid.Core

open System
open System.Collections.Generic
open System.Threading
open MathNet.Numerics.LinearAlgebra

/// One block shape's recorded graph of a GraphActivationRule: the input variable's array, the seed's, the input
/// gradient's, the root, and the record (None when an op has no in-place form: the graph is then rebuilt per call).
type internal GraphActivationRecord<'T
    when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>> =
    {
        Input: 'T[]
        Seed: 'T[]
        Gradient: 'T[]
        Root: Node<'T>
        Recording: Recording<'T> option
    }

/// An elementwise activation built from graph ops, f(x) as a function of a node (x · σ(x) for Swish), one function per
/// element type (float32 for training, float64 for gradient checks): its derivative is the graph's, so none is written.
/// Both training paths run it on whole blocks: the graph of each block shape is built once and recorded (Replay), then
/// every Forward and Backward replays it in place, so a warmed step allocates nothing. As for torch.jit.trace, f must
/// build the same graph whatever the values; a graph with an op made by plain Graph.op (no in-place form) is rebuilt on
/// each call instead. f must be elementwise (each output from its own input alone), as the rule says it is.
type GraphActivationRule
    (name: string, forward32: Func<Node<float32>, Node<float32>>, forward64: Func<Node<float>, Node<float>>) =
    inherit ActivationRule()

    let records = Dictionary<struct (Type * int * int), obj>()
    // One caller at a time: the records' buffers are shared.
    let gate = obj ()

    let build (x: Node<'T>) : Node<'T> =
        match box x with
        | :? Node<float32> as x -> forward32.Invoke x |> box |> unbox
        | :? Node<float> as x -> forward64.Invoke x |> box |> unbox
        | _ -> invalidOp $"the activation {name} is defined for float32 and float64 only, not {typeof<'T>.Name}"

    let buildChecked m n (x: Node<'T>) =
        let y = build x

        if y.Shape <> x.Shape then
            raise (
                ShapeMismatchException(
                    $"activation {name}",
                    x.Shape,
                    y.Shape,
                    "an activation's output must have its input's shape"
                )
            )

        y

    /// <inheritdoc/>
    override _.Name = name

    member private _.Record<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
        (m: int, n: int)
        : GraphActivationRecord<'T> =
        let key = struct (typeof<'T>, m, n)

        match records.TryGetValue key with
        | true, r -> unbox r
        | _ ->
            let input = Array.zeroCreate<'T>(m * n)
            let seed = Array.zeroCreate<'T>(m * n)
            let gradient = Array.zeroCreate<'T>(m * n)
            let x = Graph.variable "x" (Matrix<'T>.Build.Dense(m, n, input))
            let y = buildChecked m n x

            let recording =
                Replay.tryRecord
                    y
                    (Matrix<'T>.Build.Dense(m, n, seed))
                    [| struct (x, Matrix<'T>.Build.Dense(m, n, gradient)) |]

            let r =
                {
                    Input = input
                    Seed = seed
                    Gradient = gradient
                    Root = y
                    Recording = recording
                }

            records[key] <- (r :> obj)
            r

    /// <inheritdoc/>
    override this.Forward<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
        (m: int, n: int, x: ReadOnlySpan<'T>, y: Span<'T>)
        =
        Monitor.Enter gate

        try
            let r = this.Record<'T>(m, n)
            x.Slice(0, m * n).CopyTo(Span r.Input)

            match r.Recording with
            | Some recording ->
                recording.Forward()
                ReadOnlySpan(Tensor.data r.Root.Value).CopyTo y
            | None ->
                let fresh =
                    buildChecked m n (Graph.constant (Matrix<'T>.Build.Dense(m, n, r.Input)))

                ReadOnlySpan(Tensor.columns fresh.Value).CopyTo y
        finally
            Monitor.Exit gate

    /// <inheritdoc/>
    override this.Backward<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> Numerics.IFloatingPointIeee754<'T>>
        (m: int, n: int, x: ReadOnlySpan<'T>, _y: ReadOnlySpan<'T>, dy: ReadOnlySpan<'T>, dx: Span<'T>)
        =
        Monitor.Enter gate

        try
            let r = this.Record<'T>(m, n)
            // The forward again: another block of this shape may have been through the record since this one's.
            x.Slice(0, m * n).CopyTo(Span r.Input)
            dy.Slice(0, m * n).CopyTo(Span r.Seed)

            match r.Recording with
            | Some recording ->
                recording.Forward()
                recording.Backward()
                ReadOnlySpan(r.Gradient).CopyTo dx
            | None ->
                let v = Graph.variable "x" (Matrix<'T>.Build.Dense(m, n, Array.copy r.Input))
                let fresh = buildChecked m n v
                Graph.backwardWith false (Matrix<'T>.Build.Dense(m, n, Array.copy r.Seed)) fresh

                match v.Grad with
                | Some g -> ReadOnlySpan(Tensor.columns g).CopyTo dx
                | None -> dx.Slice(0, m * n).Clear()
        finally
            Monitor.Exit gate
