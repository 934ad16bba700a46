namespace Hybrid.Core

open System
open System.Collections.Generic
open System.Numerics
open MathNet.Numerics.LinearAlgebra

/// A graph recorded once and run again, as torch.jit.trace runs a traced module: Forward recomputes every op's value in
/// place, in topological order, from the leaves' current values (a variable updated in place by an optimizer, an input
/// node over a buffer refilled each step); Backward writes the gradients of the chosen leaves into their buffers from
/// the seed in the root's gradient buffer, through gradient buffers kept between runs. Neither allocates. The record
/// assumes a static graph: the same ops on the same shapes whatever the values (a forward that branches on its input
/// must be rebuilt instead). Made by Replay.tryRecord.
type Recording<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
    internal
    (
        ops: Node<'T>[],
        rules: InPlace<'T>[],
        edges: struct (int * int * Matrix<'T> * Matrix<'T> * Matrix<'T> voption)[],
        unreached: Matrix<'T>[]
    ) =

    /// The recorded ops, each after its inputs.
    member _.Ops: IReadOnlyList<Node<'T>> = ops

    /// Recomputes every op's value from the leaves' current values.
    member _.Forward() =
        for k in 0 .. ops.Length - 1 do
            rules[k].Forward ops[k].Value

    /// Writes dRoot/dLeaf (for the seed in the root's gradient buffer) into each chosen leaf's buffer, summing the
    /// contributions of every path in the order Graph.backward sums them.
    member _.Backward() =
        // Each edge: the op (an index into ops), its input's position, the op's gradient buffer, the input's, and a
        // scratch buffer when that input already holds an earlier path's contribution (none for the first).
        for e in 0 .. edges.Length - 1 do
            let struct (k, i, g, into, scratch) = edges[e]

            match scratch with
            | ValueNone -> rules[k].Backward g i into
            | ValueSome s ->
                rules[k].Backward g i s
                into.Add(s, into)

        for m in unreached do
            m.Clear()

/// Recording a graph for replay (Recording).
[<RequireQualifiedAccess>]
module Replay =

    /// Records the graph behind root, an op, for replay: seed is the buffer the root's gradient will be in, and each
    /// (leaf, buffer) pair a leaf whose gradient Backward writes into buffer (of the leaf's shape; zeros when the root
    /// does not depend on it). None when some op has no in-place form (made with Graph.op rather than Graph.opWith):
    /// such a graph must be rebuilt each time.
    let tryRecord (root: Node<'T>) (seed: Matrix<'T>) (wanted: struct (Node<'T> * Matrix<'T>)[]) =
        let order = Graph.topologicalOrder root
        let ops = order |> Array.filter (fun n -> not n.IsLeaf)

        let dense (n: Node<'T>) =
            n.Value.Storage :? Storage.DenseColumnMajorMatrixStorage<'T>

        if
            root.IsLeaf
            || ops |> Array.exists (fun n -> n.InPlace.IsNone)
            || not (Array.forall dense order)
        then
            None
        else
            let index = Dictionary<Node<'T>, int>(HashIdentity.Reference)

            for k in 0 .. ops.Length - 1 do
                index[ops[k]] <- k

            let leafBuffers = Dictionary<Node<'T>, Matrix<'T>>(HashIdentity.Reference)

            for struct (leaf, buffer) in wanted do
                if Tensor.shape buffer <> leaf.Shape then
                    raise (
                        ShapeMismatchException(
                            "Replay.tryRecord",
                            leaf.Shape,
                            Tensor.shape buffer,
                            "a leaf's gradient buffer"
                        )
                    )

                leafBuffers[leaf] <- buffer

            // Every op a gradient reaches gets a buffer of its own; the root's is the seed.
            let grads =
                ops
                |> Array.map (fun n ->
                    if obj.ReferenceEquals(n, root) then
                        ValueSome seed
                    elif n.RequiresGrad then
                        ValueSome(Matrix<'T>.Build.Dense(n.Shape.Rows, n.Shape.Cols))
                    else
                        ValueNone)

            let bufferOf (n: Node<'T>) =
                match index.TryGetValue n with
                | true, k -> grads[k]
                | _ ->
                    match leafBuffers.TryGetValue n with
                    | true, b -> ValueSome b
                    | _ -> ValueNone

            // The edges in Graph.backward's order: ops from the root down, inputs left to right.
            let filled = HashSet<Node<'T>>(HashIdentity.Reference)

            let edges =
                List<struct (int * int * Matrix<'T> * Matrix<'T> * Matrix<'T> voption)>()

            for k in ops.Length - 1 .. -1 .. 0 do
                let node = ops[k]

                if node.RequiresGrad then
                    for i in 0 .. node.Inputs.Count - 1 do
                        let input = node.Inputs[i]

                        match bufferOf input with
                        | ValueSome into when input.RequiresGrad ->
                            let scratch =
                                if filled.Add input then
                                    ValueNone
                                else
                                    ValueSome(Matrix<'T>.Build.Dense(input.Shape.Rows, input.Shape.Cols))

                            edges.Add(struct (k, i, grads[k].Value, into, scratch))
                        | _ -> ()

            let unreached =
                wanted
                |> Array.choose (fun struct (leaf, buffer) -> if filled.Contains leaf then None else Some buffer)

            Some(Recording(ops, ops |> Array.map (fun n -> n.InPlace.Value), edges.ToArray(), unreached))
