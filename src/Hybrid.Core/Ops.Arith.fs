namespace Hybrid.Core

open MathNet.Numerics.LinearAlgebra

/// Elementwise arithmetic. Binary ops broadcast as NumPy does in two dimensions: a 1×n row,
/// an n×1 column or a 1×1 scalar is repeated to the other operand's shape, and its gradient
/// is summed back to its own shape. Every op here has an in-place form (Graph.opWith), so a graph of them replays.
[<RequireQualifiedAccess>]
module Arith =

    /// Repeats x (rows or columns of size 1) to shape s. d/dx sums the gradient back to x's shape.
    let broadcastTo (s: Shape) (x: Node<'T>) =
        if x.Shape = s then
            x
        else
            if Shape.broadcast "broadcastTo" x.Shape s <> s then
                raise (ShapeMismatchException("broadcastTo", x.Shape, s, "only dimensions of size 1 can be repeated"))

            Graph.opWith
                "broadcast"
                [| x |]
                (Tensor.broadcastTo s x.Value)
                (fun g _ -> Tensor.sumTo x.Shape g)
                (fun r -> Tensor.broadcastInto x.Value r)
                (fun g _ into -> Tensor.sumToInto g into)

    /// Both operands broadcast to their common shape, or the named ShapeMismatchException.
    let private align op (a: Node<'T>) (b: Node<'T>) =
        let s = Shape.broadcast op a.Shape b.Shape
        broadcastTo s a, broadcastTo s b

    /// a + b. d/da = g, d/db = g.
    let add (a: Node<'T>) (b: Node<'T>) =
        let a, b = align "add" a b

        Graph.opWith
            "add"
            [| a; b |]
            (a.Value.Add b.Value)
            (fun g _ -> g)
            (fun r -> a.Value.Add(b.Value, r))
            (fun g _ into -> g.CopyTo into)

    /// a − b. d/da = g, d/db = −g.
    let sub (a: Node<'T>) (b: Node<'T>) =
        let a, b = align "sub" a b

        Graph.opWith
            "sub"
            [| a; b |]
            (a.Value.Subtract b.Value)
            (fun g i -> if i = 0 then g else g.Negate())
            (fun r -> a.Value.Subtract(b.Value, r))
            (fun g i into -> if i = 0 then g.CopyTo into else g.Negate into)

    /// −x. d/dx = −g.
    let neg (x: Node<'T>) =
        Graph.opWith
            "neg"
            [| x |]
            (x.Value.Negate())
            (fun g _ -> g.Negate())
            (fun r -> x.Value.Negate r)
            (fun g _ into -> g.Negate into)

    /// a ⊙ b, elementwise. d/da = g ⊙ b, d/db = g ⊙ a.
    let mul (a: Node<'T>) (b: Node<'T>) =
        let a, b = align "mul" a b

        Graph.opWith
            "mul"
            [| a; b |]
            (a.Value.PointwiseMultiply b.Value)
            (fun g i -> g.PointwiseMultiply(if i = 0 then b.Value else a.Value))
            (fun r -> a.Value.PointwiseMultiply(b.Value, r))
            (fun g i into -> g.PointwiseMultiply((if i = 0 then b.Value else a.Value), into))

    /// a ⊘ b, elementwise. d/da = g ⊘ b, d/db = −g ⊙ a ⊘ b².
    let div (a: Node<'T>) (b: Node<'T>) =
        let a, b = align "div" a b

        Graph.opWith
            "div"
            [| a; b |]
            (a.Value.PointwiseDivide b.Value)
            (fun g i ->
                if i = 0 then
                    g.PointwiseDivide b.Value
                else
                    g.PointwiseMultiply(a.Value).PointwiseDivide(b.Value.PointwiseMultiply b.Value).Negate())
            (fun r -> a.Value.PointwiseDivide(b.Value, r))
            (fun g i into ->
                if i = 0 then
                    g.PointwiseDivide(b.Value, into)
                else
                    Tensor.quotientGradientInto g a.Value b.Value into)

    /// x + c for a constant c. d/dx = g.
    let addScalar (c: float) (x: Node<'T>) =
        let c = Tensor.ofFloat<'T> c

        Graph.opWith
            "addScalar"
            [| x |]
            (x.Value.Add c)
            (fun g _ -> g)
            (fun r -> Tensor.addScalarInto c x.Value r)
            (fun g _ into -> g.CopyTo into)

    /// c · x for a constant c. d/dx = c · g.
    let mulScalar (c: float) (x: Node<'T>) =
        let c = Tensor.ofFloat<'T> c

        Graph.opWith
            "mulScalar"
            [| x |]
            (x.Value.Multiply c)
            (fun g _ -> g.Multiply c)
            (fun r -> x.Value.Multiply(c, r))
            (fun g _ into -> g.Multiply(c, into))
