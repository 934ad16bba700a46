namespace Hybrid.Core

open System
open MathNet.Numerics.LinearAlgebra

/// Sums and means, over all elements or along one axis (0: down the rows, giving a 1×n row;
/// 1: across the columns, giving an m×1 column), as in NumPy.
[<RequireQualifiedAccess>]
module Reduce =

    let private checkAxis op axis =
        if axis <> 0 && axis <> 1 then
            invalidArg "axis" $"{op}: axis must be 0 (down the rows) or 1 (across the columns), got {axis}"

    /// Σ x over all elements, a 1×1 result. d/dx = g repeated over x's shape.
    let sum (x: Node<'T>) =
        Graph.opWith
            "sum"
            [| x |]
            (Tensor.scalar (x.Value.ColumnSums().Sum()))
            (fun g _ -> Tensor.fill x.Shape g[0, 0])
            (fun r -> Tensor.sumToInto x.Value r)
            (fun g _ into -> Array.Fill(Tensor.data into, g[0, 0]))

    /// The mean of all elements, a 1×1 result. d/dx = g / count repeated over x's shape.
    let mean (x: Node<'T>) =
        let n = Tensor.ofFloat<'T>(float x.Shape.Count)
        let total = x.Value.ColumnSums().Sum()

        Graph.opWith
            "mean"
            [| x |]
            (Tensor.scalar (total / n))
            (fun g _ -> Tensor.fill x.Shape (g[0, 0] / n))
            (fun r ->
                Tensor.sumToInto x.Value r
                r[0, 0] <- r[0, 0] / n)
            (fun g _ into -> Array.Fill(Tensor.data into, g[0, 0] / n))

    /// Σ x along an axis. d/dx = g repeated along that axis.
    let sumAxis (axis: int) (x: Node<'T>) =
        checkAxis "sumAxis" axis

        let value =
            if axis = 0 then
                x.Value.ColumnSums().ToRowMatrix()
            else
                x.Value.RowSums().ToColumnMatrix()

        Graph.opWith
            $"sum(axis={axis})"
            [| x |]
            value
            (fun g _ -> Tensor.broadcastTo x.Shape g)
            (fun r -> Tensor.sumToInto x.Value r)
            (fun g _ into -> Tensor.broadcastInto g into)

    /// The mean along an axis. d/dx = g / n repeated along that axis, n its length.
    let meanAxis (axis: int) (x: Node<'T>) =
        checkAxis "meanAxis" axis
        let n = if axis = 0 then x.Shape.Rows else x.Shape.Cols
        sumAxis axis x |> Arith.mulScalar (1.0 / float n)
