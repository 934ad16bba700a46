namespace Hybrid.Core

open MathNet.Numerics.LinearAlgebra

/// Matrix products, transposition and the bias broadcast of a dense layer.
[<RequireQualifiedAccess>]
module Linalg =

    /// op(a) · op(b), where op transposes its operand when the flag says so. The products run
    /// through MathNet's linear-algebra provider. With C = A·B and upstream gradient G:
    /// dA = G·Bᵀ and dB = Aᵀ·G; the transposed cases follow by transposing those.
    let matmulWith (transposeA: bool) (transposeB: bool) (a: Node<'T>) (b: Node<'T>) =
        let inner = if transposeA then a.Shape.Rows else a.Shape.Cols
        let innerB = if transposeB then b.Shape.Cols else b.Shape.Rows

        if inner <> innerB then
            let flags =
                (if transposeA then "aᵀ" else "a") + "·" + (if transposeB then "bᵀ" else "b")

            raise (
                ShapeMismatchException(
                    "matmul",
                    a.Shape,
                    b.Shape,
                    $"{flags}: inner dimensions {inner} and {innerB} differ"
                )
            )

        let A, B = a.Value, b.Value

        let value =
            match transposeA, transposeB with
            | false, false -> A.Multiply B
            | true, false -> A.TransposeThisAndMultiply B
            | false, true -> A.TransposeAndMultiply B
            | true, true -> A.TransposeThisAndMultiply(B.Transpose())

        let backward (G: Matrix<'T>) i =

            match transposeA, transposeB, i with
            | false, false, 0 -> G.TransposeAndMultiply B // G·Bᵀ
            | false, false, _ -> A.TransposeThisAndMultiply G // Aᵀ·G
            | true, false, 0 -> B.TransposeAndMultiply G // (C = AᵀB) dA = B·Gᵀ
            | true, false, _ -> A.Multiply G // dB = A·G
            | false, true, 0 -> G.Multiply B // (C = ABᵀ) dA = G·B
            | false, true, _ -> G.TransposeThisAndMultiply A // dB = Gᵀ·A
            | true, true, 0 -> B.TransposeThisAndMultiply(G.Transpose()) // (C = AᵀBᵀ) dA = Bᵀ·Gᵀ
            | true, true, _ -> G.TransposeThisAndMultiply(A.Transpose()) // dB = Gᵀ·Aᵀ

        match transposeA, transposeB with
        | true, true -> Graph.op "matmul" [| a; b |] value backward // rare: left to rebuild
        | _ ->
            Graph.opWith
                "matmul"
                [| a; b |]
                value
                backward
                (fun C ->
                    match transposeA, transposeB with
                    | false, false -> A.Multiply(B, C)
                    | true, false -> A.TransposeThisAndMultiply(B, C)
                    | _ -> A.TransposeAndMultiply(B, C))
                (fun G i into ->
                    match transposeA, transposeB, i with
                    | false, false, 0 -> G.TransposeAndMultiply(B, into)
                    | false, false, _ -> A.TransposeThisAndMultiply(G, into)
                    | true, false, 0 -> B.TransposeAndMultiply(G, into)
                    | true, false, _ -> A.Multiply(G, into)
                    | false, true, 0 -> G.Multiply(B, into)
                    | _ -> G.TransposeThisAndMultiply(A, into))

    /// a · b, the matrix product.
    let matmul (a: Node<'T>) (b: Node<'T>) = matmulWith false false a b

    /// xᵀ. d/dx = gᵀ.
    let transpose (x: Node<'T>) =
        Graph.opWith
            "transpose"
            [| x |]
            (x.Value.Transpose())
            (fun g _ -> g.Transpose())
            (fun r -> x.Value.Transpose r)
            (fun g _ into -> g.Transpose into)

    /// x + 1·b: the row vector b (1×n) added to every row of x (m×n), as a dense layer adds its
    /// bias to each sample. d/dx = g, d/db = the column sums of g.
    let addRowVector (x: Node<'T>) (b: Node<'T>) =
        if b.Shape.Rows <> 1 || b.Shape.Cols <> x.Shape.Cols then
            raise (ShapeMismatchException("addRowVector", x.Shape, b.Shape, $"the bias must be a 1×{x.Shape.Cols} row"))

        let value = x.Value.Clone()
        let row = b.Value.Row 0

        for i in 0 .. value.RowCount - 1 do
            value.SetRow(i, value.Row(i).Add row)

        Graph.opWith
            "addRowVector"
            [| x; b |]
            value
            (fun g i -> if i = 0 then g else g.ColumnSums().ToRowMatrix())
            (fun r ->
                let xs, bs, rs = Tensor.data x.Value, Tensor.data b.Value, Tensor.data r
                let rows = r.RowCount

                for j in 0 .. r.ColumnCount - 1 do
                    for i in 0 .. rows - 1 do
                        rs[j * rows + i] <- xs[j * rows + i] + bs[j])
            (fun g i into -> if i = 0 then g.CopyTo into else Tensor.sumToInto g into)
