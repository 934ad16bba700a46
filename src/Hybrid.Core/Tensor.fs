namespace Hybrid.Core

open System
open System.Numerics
open MathNet.Numerics.LinearAlgebra

/// Helpers on MathNet.Numerics matrices, the storage of every value in Hybrid.
/// Each is written once for any IEEE floating-point element type: training runs in
/// float32, gradient checks in float (float64), and both use these same definitions.
[<RequireQualifiedAccess>]
module Tensor =

    /// The element type's value nearest to a float: the bridge for constants such as 0.5 or α.
    let ofFloat<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (x: float)
        : 'T =
        'T.CreateTruncating x

    /// An element widened (or kept) as a float.
    let toFloat<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (x: 'T)
        : float =
        Double.CreateTruncating x

    /// a > b, for any element type (F#'s own comparison would box the values).
    let greater<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (a: 'T)
        (b: 'T)
        =
        'T.op_GreaterThan (a, b)

    /// a ≥ b, for any element type.
    let greaterOrEqual<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (a: 'T)
        (b: 'T)
        =
        'T.op_GreaterThanOrEqual (a, b)

    /// Shape of a matrix.
    let shape (m: Matrix<'T>) =
        {
            Rows = m.RowCount
            Cols = m.ColumnCount
        }

    /// A matrix of the given shape, every element equal to value.
    let fill<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (s: Shape)
        (value: 'T)
        =
        Matrix<'T>.Build.Dense(s.Rows, s.Cols, value)

    /// A matrix of zeros.
    let zeros<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (s: Shape)
        : Matrix<'T> =
        Matrix<'T>.Build.Dense(s.Rows, s.Cols)

    /// A matrix of ones.
    let ones<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (s: Shape)
        : Matrix<'T> =
        fill s 'T.One

    /// A 1×1 matrix holding one value.
    let scalar<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (x: 'T)
        =
        Matrix<'T>.Build.Dense(1, 1, x)

    /// A matrix from rows of floats, converted to the element type.
    let ofRows<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (rows: float[][])
        : Matrix<'T> =
        if rows.Length = 0 || rows[0].Length = 0 then
            invalidArg "rows" "a matrix needs at least one row and one column"

        let cols = rows[0].Length

        rows
        |> Array.iteri (fun i r ->
            if r.Length <> cols then
                invalidArg "rows" $"row {i} has {r.Length} elements but row 0 has {cols}")

        Matrix<'T>.Build.Dense(rows.Length, cols, fun i j -> ofFloat (rows[i][j]))

    /// The matrix converted element by element to another precision.
    let convert<'T, 'U
        when 'T: struct
        and 'T: (new: unit -> 'T)
        and 'T :> ValueType
        and 'T :> IFloatingPointIeee754<'T>
        and 'U: struct
        and 'U: (new: unit -> 'U)
        and 'U :> ValueType
        and 'U :> IFloatingPointIeee754<'U>>
        (m: Matrix<'T>)
        : Matrix<'U> =
        Matrix<'U>.Build.Dense(m.RowCount, m.ColumnCount, fun i j -> 'U.CreateTruncating m[i, j])

    /// The dense column-major storage behind m: writing to it writes to m. Hot loops (optimizer
    /// updates) use it to work in place.
    let data (m: Matrix<'T>) : 'T[] =
        match m.Storage with
        | :? MathNet.Numerics.LinearAlgebra.Storage.DenseColumnMajorMatrixStorage<'T> as s -> s.Data
        | _ -> invalidArg "m" "expected a dense matrix (Matrix.Build.Dense)"

    /// m's elements column-major: its own storage when dense (no copy), else a copy.
    let columns (m: Matrix<'T>) : 'T[] =
        match m.Storage with
        | :? MathNet.Numerics.LinearAlgebra.Storage.DenseColumnMajorMatrixStorage<'T> as s -> s.Data
        | _ -> m.ToColumnMajorArray()

    /// Applies f to every element.
    let map (f: 'T -> 'T) (m: Matrix<'T>) = m.Map(Func<'T, 'T> f, Zeros.Include)

    /// Applies f to the elements of two matrices of one shape, pairwise.
    let map2 (f: 'T -> 'T -> 'T) (a: Matrix<'T>) (b: Matrix<'T>) =
        Matrix<'T>.Build.Dense(a.RowCount, a.ColumnCount, fun i j -> f a[i, j] b[i, j])

    /// Repeats the rows and/or columns of m (each of size 1 where repeated) to fill shape s.
    let broadcastTo (s: Shape) (m: Matrix<'T>) =
        if shape m = s then
            m
        else
            let r1 = m.RowCount = 1
            let c1 = m.ColumnCount = 1
            Matrix<'T>.Build.Dense(s.Rows, s.Cols, fun i j -> m[(if r1 then 0 else i), (if c1 then 0 else j)])

    /// Sums m down to shape s, the reverse of broadcastTo (the gradient of a broadcast).
    let sumTo (s: Shape) (m: Matrix<'T>) =
        let m =
            if s.Rows = 1 && m.RowCount > 1 then
                m.ColumnSums().ToRowMatrix()
            else
                m

        if s.Cols = 1 && m.ColumnCount > 1 then
            m.RowSums().ToColumnMatrix()
        else
            m

    /// broadcastTo into an existing matrix of the target shape (the in-place form of a broadcast); m dense.
    let broadcastInto (m: Matrix<'T>) (result: Matrix<'T>) =
        let src, dst = data m, data result
        let rows, mRows = result.RowCount, m.RowCount
        let r1, c1 = m.RowCount = 1, m.ColumnCount = 1

        for j in 0 .. result.ColumnCount - 1 do
            let from = (if c1 then 0 else j) * mRows

            for i in 0 .. rows - 1 do
                dst[j * rows + i] <- src[from + (if r1 then 0 else i)]

    /// sumTo into an existing matrix of the target shape (the in-place form of a broadcast's gradient); m dense.
    let sumToInto<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (m: Matrix<'T>)
        (result: Matrix<'T>)
        =
        let src, dst = data m, data result
        let rows, cols = m.RowCount, m.ColumnCount

        if result.RowCount = rows && result.ColumnCount = cols then
            m.CopyTo result
        elif result.RowCount = 1 && result.ColumnCount = cols then
            // Column sums, each down its column.
            for j in 0 .. cols - 1 do
                let mutable s = 'T.Zero

                for i in 0 .. rows - 1 do
                    s <- s + src[j * rows + i]

                dst[j] <- s
        elif result.ColumnCount = 1 && result.RowCount = rows then
            // Row sums, column after column.
            Array.Clear dst

            for j in 0 .. cols - 1 do
                for i in 0 .. rows - 1 do
                    dst[i] <- dst[i] + src[j * rows + i]
        else
            // Everything: the column sums, then their sum.
            let mutable total = 'T.Zero

            for j in 0 .. cols - 1 do
                let mutable s = 'T.Zero

                for i in 0 .. rows - 1 do
                    s <- s + src[j * rows + i]

                total <- total + s

            dst[0] <- total

    /// m + c into result, element by element (MathNet's Add(scalar, result) allocates).
    let addScalarInto<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (c: 'T)
        (m: Matrix<'T>)
        (result: Matrix<'T>)
        =
        let src, dst = data m, data result

        for k in 0 .. dst.Length - 1 do
            dst[k] <- src[k] + c

    /// −g ⊙ a ⊘ b², the gradient of a ⊘ b with respect to b, into result (all four dense, of one shape).
    let quotientGradientInto<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (g: Matrix<'T>)
        (a: Matrix<'T>)
        (b: Matrix<'T>)
        (result: Matrix<'T>)
        =
        let gs, xs, ys, d = data g, data a, data b, data result

        for k in 0 .. d.Length - 1 do
            let top: 'T = gs[k] * xs[k]
            let bottom: 'T = ys[k] * ys[k]
            d[k] <- 'T.NegativeOne * (top / bottom)

    /// logSoftmaxRows z into result: per row z − max − ln Σ e^(z − max), in the same order of operations.
    let logSoftmaxRowsInto<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (z: Matrix<'T>)
        (result: Matrix<'T>)
        =
        let zs, rs = data z, data result
        let rows, cols = z.RowCount, z.ColumnCount

        for i in 0 .. rows - 1 do
            let mutable m = zs[i]

            for j in 1 .. cols - 1 do
                m <- 'T.Max(m, zs[j * rows + i])

            let mutable total = 'T.Zero

            for j in 0 .. cols - 1 do
                let shifted: 'T = zs[j * rows + i] - m
                total <- total + 'T.Exp shifted

            let lse = 'T.Log total

            for j in 0 .. cols - 1 do
                let shifted: 'T = zs[j * rows + i] - m
                rs[j * rows + i] <- shifted - lse

    /// The gradient of y = logSoftmaxRows z, g − e^y ⊙ (row sums of g), into result; totals (one per row) is scratch.
    let logSoftmaxBackwardInto<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (g: Matrix<'T>)
        (y: Matrix<'T>)
        (totals: 'T[])
        (result: Matrix<'T>)
        =
        let gs, ys, d = data g, data y, data result
        let rows, cols = g.RowCount, g.ColumnCount
        Array.Clear totals

        for j in 0 .. cols - 1 do
            for i in 0 .. rows - 1 do
                totals[i] <- totals[i] + gs[j * rows + i]

        for j in 0 .. cols - 1 do
            for i in 0 .. rows - 1 do
                let k = j * rows + i
                d[k] <- gs[k] - 'T.Exp(ys[k]) * totals[i]

    /// The largest element of each row, as a column (rows×1).
    let rowMax (m: Matrix<'T>) =
        Matrix<'T>.Build.Dense(m.RowCount, 1, fun i _ -> m.Row(i).Maximum())

    /// Row-wise log-softmax of z, z − max − ln Σ exp(z − max): exp never sees a positive
    /// argument, so it stays finite for logits of any size. The one computation logSoftmaxRowsInto makes, into a new
    /// matrix (a replayed graph and a fresh build agree exactly).
    let logSoftmaxRows<'T
        when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (z: Matrix<'T>)
        =
        let result = Matrix<'T>.Build.Dense(z.RowCount, z.ColumnCount)

        let dense =
            match z.Storage with
            | :? MathNet.Numerics.LinearAlgebra.Storage.DenseColumnMajorMatrixStorage<'T> -> z
            | _ -> Matrix<'T>.Build.DenseOfMatrix z

        logSoftmaxRowsInto dense result
        result

    /// True when no element is NaN or infinite.
    let isFinite<'T when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
        (m: Matrix<'T>)
        =
        m.Enumerate() |> Seq.forall (fun v -> 'T.IsFinite v)
