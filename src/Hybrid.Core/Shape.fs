namespace Hybrid.Core

open System

/// The shape of a matrix: rows × columns. Every value in Hybrid is a matrix; a scalar is 1×1,
/// a row vector 1×n (a bias), and a mini-batch has one sample per row.
[<Struct; CustomEquality; NoComparison>]
type Shape =
    {
        Rows: int
        Cols: int
    }

    /// Number of elements, rows × columns.
    member s.Count = s.Rows * s.Cols

    /// True for a 1×1 shape.
    member s.IsScalar = s.Rows = 1 && s.Cols = 1

    /// The shape as "rows×cols".
    override s.ToString() = $"{s.Rows}×{s.Cols}"

    /// Two shapes are equal when their rows and columns are.
    override s.Equals(o) =
        match o with
        | :? Shape as t -> s.Rows = t.Rows && s.Cols = t.Cols
        | _ -> false

    /// A hash of the rows and columns.
    override s.GetHashCode() = HashCode.Combine(s.Rows, s.Cols)

    interface IEquatable<Shape> with
        member s.Equals t = s.Rows = t.Rows && s.Cols = t.Cols

/// Thrown when an operation receives operands whose shapes it cannot combine.
/// The message names the operation, both shapes and the rule that was broken.
type ShapeMismatchException(op: string, left: Shape, right: Shape, rule: string) =
    inherit ArgumentException($"{op}: shapes {left} and {right} do not fit: {rule}.")

    /// The operation that refused its operands.
    member _.Op = op
    /// Shape of the first operand.
    member _.Left = left
    /// Shape of the second operand.
    member _.Right = right

/// Functions on shapes.
[<RequireQualifiedAccess>]
module Shape =

    /// The shape rows × cols; both must be at least 1.
    let create rows cols =
        if rows < 1 || cols < 1 then
            invalidArg "rows" $"a shape needs at least one row and one column, got {rows}×{cols}"

        { Rows = rows; Cols = cols }

    /// The 1×1 shape of a scalar.
    let scalar = { Rows = 1; Cols = 1 }

    /// The shape both operands broadcast to, NumPy's rule in two dimensions: per dimension the
    /// sizes are equal, or one of them is 1 and is repeated. Throws ShapeMismatchException otherwise.
    let broadcast op (a: Shape) (b: Shape) =
        let dim x y =
            if x = y || y = 1 then Some x
            elif x = 1 then Some y
            else None

        match dim a.Rows b.Rows, dim a.Cols b.Cols with
        | Some r, Some c -> { Rows = r; Cols = c }
        | _ -> raise (ShapeMismatchException(op, a, b, "each dimension must be equal, or 1 in one operand"))
