namespace Hybrid.Core

open System
open System.Collections.Generic
open System.Numerics
open MathNet.Numerics.LinearAlgebra

/// An op's in-place form, for a graph recorded once and replayed (Replay): Forward result recomputes the op's value into
/// result (the node's own value matrix) from its inputs' current values; Backward g i into writes the gradient with
/// respect to input i, given the output's gradient g, into into (overwriting it; the replay sums the paths of a node
/// used twice). Neither allocates per call.
type InPlace<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>> =
    {
        Forward: Matrix<'T> -> unit
        Backward: Matrix<'T> -> int -> Matrix<'T> -> unit
    }

/// A vertex of the computational graph: a value, the op that made it, its inputs, and the
/// local derivative of that op (how the output's gradient flows to each input). Leaves are
/// variables (which want a gradient) or constants (which do not).
type Node<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
    internal
    (
        op: string,
        name: string,
        value: Matrix<'T>,
        inputs: Node<'T>[],
        backward: (Matrix<'T> -> int -> Matrix<'T>) option,
        requiresGrad: bool
    ) =
    // The graph's edges and derivative rule; both are dropped when the graph is released
    // after a backward pass, so that intermediate values can be garbage collected.
    let mutable inputs = inputs
    let mutable backward = backward
    let mutable released = false
    let mutable grad: Matrix<'T> option = None
    let mutable inPlace: InPlace<'T> voption = ValueNone

    /// The name of the op that made this node ("variable" or "constant" for leaves).
    member _.Op = op

    /// The name given to a leaf (empty for op nodes); shown in graph drawings.
    member _.Name = name

    /// The node's value. A variable's value may be updated in place by an optimizer.
    member _.Value = value

    /// The value's shape.
    member _.Shape = Tensor.shape value

    /// The nodes this one was computed from (empty for leaves, and after release).
    member _.Inputs: IReadOnlyList<Node<'T>> = inputs

    /// True when a gradient flows to this node: a variable, or an op with such an input.
    member _.RequiresGrad = requiresGrad

    /// True for a variable or constant, false for the result of an op.
    member _.IsLeaf = op = "variable" || op = "constant"

    /// True once backward has released this node's edges.
    member _.IsReleased = released

    /// The gradient of the last backward pass's output with respect to this node. For variables
    /// it accumulates over backward passes until ZeroGrad; for op nodes it is the last pass's.
    member _.Grad
        with get () = grad
        and internal set v = grad <- v

    /// Forgets the accumulated gradient.
    member _.ZeroGrad() = grad <- None

    member internal _.Rule = backward

    /// The op's in-place form, if it has one (Graph.opWith); a graph made only of such ops can be replayed.
    member internal _.InPlace
        with get () = inPlace
        and set v = inPlace <- v

    member internal _.Release() =
        if not (op = "variable" || op = "constant") then
            inputs <- [||]
            backward <- None
            inPlace <- ValueNone
            released <- true

    /// The op, the name if any, and the shape, e.g. "variable w 2×1".
    override _.ToString() =
        let label = if String.IsNullOrEmpty name then op else $"{op} {name}"
        $"{label} {Tensor.shape value}"

/// Building nodes and running reverse-mode differentiation over the graph they form.
[<RequireQualifiedAccess>]
module Graph =

    /// A leaf that wants a gradient (a parameter or an input to differentiate by).
    let variable (name: string) (value: Matrix<'T>) =
        Node<'T>("variable", name, value, [||], None, true)

    /// A leaf that does not want a gradient (data, targets, fixed constants).
    let constant (value: Matrix<'T>) =
        Node<'T>("constant", "", value, [||], None, false)

    /// A node made by an op. backward g i returns the gradient with respect to input i given
    /// the gradient g of the output; it is called only for inputs that require a gradient.
    /// This is how every op is built, and how users add their own.
    let op (name: string) (inputs: Node<'T>[]) (value: Matrix<'T>) (backward: Matrix<'T> -> int -> Matrix<'T>) =
        let requires = inputs |> Array.exists (fun n -> n.RequiresGrad)
        // A node no gradient can reach keeps no rule: nothing would ever call it.
        Node<'T>(name, "", value, inputs, (if requires then Some backward else None), requires)

    /// Graph.op with the op's in-place form as well (InPlace): forwardInto result recomputes the value into result from
    /// the inputs' current values, backwardInto g i into writes backward g i into into. A graph whose ops all have one
    /// can be recorded once and replayed without allocating (Replay, the fused trainer's graph layers); an op made with
    /// plain Graph.op makes its graph rebuild every time instead.
    let opWith
        (name: string)
        (inputs: Node<'T>[])
        (value: Matrix<'T>)
        (backward: Matrix<'T> -> int -> Matrix<'T>)
        (forwardInto: Matrix<'T> -> unit)
        (backwardInto: Matrix<'T> -> int -> Matrix<'T> -> unit)
        =
        let node = op name inputs value backward

        node.InPlace <-
            ValueSome
                {
                    Forward = forwardInto
                    Backward = backwardInto
                }

        node

    /// Every node the root depends on, each after its inputs (a topological order),
    /// walked without recursion so that long chains cannot overflow the stack.
    let topologicalOrder (root: Node<'T>) =
        let order = List<Node<'T>>()
        let seen = HashSet<Node<'T>>(HashIdentity.Reference)
        let stack = Stack<struct (Node<'T> * bool)>()
        stack.Push(struct (root, false))

        while stack.Count > 0 do
            let struct (node, expanded) = stack.Pop()

            if expanded then
                order.Add node
            elif seen.Add node then
                stack.Push(struct (node, true))

                for i in node.Inputs.Count - 1 .. -1 .. 0 do
                    if not (seen.Contains node.Inputs[i]) then
                        stack.Push(struct (node.Inputs[i], false))

        order.ToArray()

    /// The nodes of order from which one of targets can be reached: the only ones a
    /// gradient with respect to targets needs to pass through.
    let private reaching (targets: HashSet<Node<'T>>) (order: Node<'T>[]) =
        let on = HashSet<Node<'T>>(HashIdentity.Reference)

        for node in order do
            if targets.Contains node || node.Inputs |> Seq.exists on.Contains then
                on.Add node |> ignore

        on

    /// The reverse sweep: seeds the root with seed, walks the nodes in reverse topological order,
    /// applies each op's local derivative and sums the contributions of every path (a node used
    /// twice receives two). Returns the gradient of every node it reached.
    let private sweep (root: Node<'T>) (seed: Matrix<'T>) (onlyTowards: HashSet<Node<'T>> option) (keepGraph: bool) =
        if Tensor.shape seed <> root.Shape then
            raise (
                ShapeMismatchException(
                    "backward",
                    root.Shape,
                    Tensor.shape seed,
                    "the seed gradient must have the output's shape"
                )
            )

        let order = topologicalOrder root

        for node in order do
            if node.IsReleased then
                invalidOp
                    $"backward: the graph behind node '{node.Op}' {node.Shape} was released by an earlier backward pass; pass keepGraph = true to the first pass to differentiate through it again"

        let wanted =
            match onlyTowards with
            | Some targets -> reaching targets order
            | None -> HashSet<Node<'T>>(order |> Seq.filter (fun n -> n.RequiresGrad), HashIdentity.Reference)

        let grads = Dictionary<Node<'T>, Matrix<'T>>(HashIdentity.Reference)

        if wanted.Contains root then
            grads[root] <- seed

        for k in order.Length - 1 .. -1 .. 0 do
            let node = order[k]

            match grads.TryGetValue node, node.Rule with
            | (true, g), Some rule ->
                for i in 0 .. node.Inputs.Count - 1 do
                    let input = node.Inputs[i]

                    if wanted.Contains input then
                        let contribution = rule g i

                        if Tensor.shape contribution <> input.Shape then
                            raise (
                                ShapeMismatchException(
                                    $"backward through '{node.Op}'",
                                    input.Shape,
                                    Tensor.shape contribution,
                                    $"the derivative for input {i} must have that input's shape"
                                )
                            )

                        match grads.TryGetValue input with
                        | true, acc -> grads[input] <- acc.Add contribution
                        | _ -> grads[input] <- contribution
            | _ -> ()

        if not keepGraph then
            for node in order do
                node.Release()

        grads

    /// Reverse-mode differentiation of root (with an explicit seed gradient dL/droot, of root's
    /// shape). Variables accumulate the gradient in Grad; op nodes keep this pass's gradient
    /// in Grad so that a drawing of the graph can show it. Unless keepGraph, the graph's edges
    /// are released afterwards.
    let backwardWith (keepGraph: bool) (seed: Matrix<'T>) (root: Node<'T>) =
        let grads = sweep root seed None keepGraph

        for KeyValue(node, g) in grads do
            match node.Grad with
            | Some acc when node.IsLeaf -> node.Grad <- Some(acc.Add g)
            | _ -> node.Grad <- Some g

    /// Reverse-mode differentiation of a scalar (1×1) root: afterwards every variable it depends
    /// on holds d root / d variable in Grad (added to what was there). Releases the graph.
    let backward (root: Node<'T>) =
        if not root.Shape.IsScalar then
            invalidArg
                "root"
                $"backward: the output is {root.Shape}, not a scalar (1×1); reduce it first (Reduce.sum, Reduce.mean) or give a seed gradient with backwardWith"

        backwardWith false (Tensor.ones Shape.scalar) root

    /// The gradients of a scalar root with respect to the chosen nodes only, in their order, like
    /// torch.autograd.grad: Grad fields are left untouched, and only the paths that reach a chosen
    /// node are differentiated. A chosen node the root does not depend on gets zeros.
    let gradWith (keepGraph: bool) (wrt: seq<Node<'T>>) (root: Node<'T>) : Matrix<'T>[] =
        if not root.Shape.IsScalar then
            invalidArg "root" $"grad: the output is {root.Shape}, not a scalar (1×1); reduce it first"

        let wrt = Seq.toArray wrt

        for i in 0 .. wrt.Length - 1 do
            if not wrt[i].RequiresGrad then
                invalidArg
                    "wrt"
                    $"grad: node {i} ({wrt[i]}) is a constant; gradients flow only to variables and the ops built on them"

        let targets = HashSet<Node<'T>>(wrt, HashIdentity.Reference)
        let grads = sweep root (Tensor.ones Shape.scalar) (Some targets) keepGraph

        wrt
        |> Array.map (fun n ->
            match grads.TryGetValue n with
            | true, g -> g
            | _ -> Tensor.zeros n.Shape)

    /// gradWith that releases the graph afterwards.
    let grad (wrt: seq<Node<'T>>) (root: Node<'T>) = gradWith false wrt root

    /// Clears the Grad of every node the root depends on.
    let zeroGrad (root: Node<'T>) =
        for node in topologicalOrder root do
            node.ZeroGrad()
