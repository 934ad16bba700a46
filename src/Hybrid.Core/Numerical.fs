namespace Hybrid.Core

open System
open MathNet.Numerics.LinearAlgebra

/// Finite differences: the numerical derivative every analytic gradient is checked against.
[<RequireQualifiedAccess>]
module Numerical =

    /// Central differences of a scalar function of several matrices: for each element x,
    /// (f(x + h) − f(x − h)) / 2h, whose error is O(h²) plus round-off of order ε·|f|/h.
    let centralDifferences (step: float) (f: Matrix<float>[] -> float) (inputs: Matrix<float>[]) =
        inputs
        |> Array.mapi (fun k x ->
            Matrix<float>
                .Build.Dense(
                    x.RowCount,
                    x.ColumnCount,
                    fun i j ->
                        let at delta =
                            let moved = Array.copy inputs
                            let xk = x.Clone()
                            xk[i, j] <- x[i, j] + delta
                            moved[k] <- xk
                            f moved

                        (at step - at -step) / (2.0 * step)
                ))

/// The outcome of a gradient check: the worst disagreement between the analytic gradient and
/// central finite differences, and where it is.
type GradientCheckResult =
    {
        /// True when the worst error is within the tolerance and every gradient is finite.
        Passed: bool
        /// The largest error |a − n| / max(1, |a|, |n|) over all checked elements: relative for
        /// gradients larger than one, absolute for smaller ones (where relative error is noise).
        MaxError: float
        /// Index of the input holding the worst element.
        Input: int
        /// Row of the worst element.
        Row: int
        /// Column of the worst element.
        Col: int
        /// The analytic (backward) derivative there.
        Analytic: float
        /// The finite-difference derivative there.
        Numeric: float
        /// The tolerance the error was held to.
        Tolerance: float
        /// How many partial derivatives were compared.
        Checked: int
    }

    /// A one-line verdict: passed or FAILED, the worst error, where it is and both derivatives there.
    override r.ToString() =
        let verdict = if r.Passed then "passed" else "FAILED"

        $"gradcheck {verdict}: max error {r.MaxError:E2} (tolerance {r.Tolerance:E0}) at input {r.Input}[{r.Row}, {r.Col}]: analytic {r.Analytic:G6}, numeric {r.Numeric:G6}; {r.Checked} partial derivatives compared"

/// Checks the gradients that backward computes against finite differences, in float64,
/// in the spirit of torch.autograd.gradcheck. Use it on any function built from Hybrid's ops,
/// including ops of your own made with Graph.op.
[<RequireQualifiedAccess>]
module GradientCheck =

    /// Default finite-difference step.
    let defaultStep = 1e-6

    /// Default tolerance on the error |a − n| / max(1, |a|, |n|).
    let defaultTolerance = 1e-6

    /// The error measure the check uses: relative above one, absolute below.
    let error (analytic: float) (numeric: float) =
        abs (analytic - numeric) / (max 1.0 (max (abs analytic) (abs numeric)))

    /// Checks f at inputs with the given step and tolerance. If f's output is not 1×1, it is
    /// contracted with fixed pseudo-random weights into a scalar, so every output element's
    /// gradient is checked at once.
    let checkWith (step: float) (tolerance: float) (f: Node<float>[] -> Node<float>) (inputs: Matrix<float>[]) =
        if inputs.Length = 0 then
            invalidArg "inputs" "gradcheck: give at least one input matrix"

        let probe = f (inputs |> Array.map Graph.constant)
        let rng = Random 20101 // fixed: the same weights for the analytic and the numeric side

        let weights =
            Matrix<float>.Build.Dense(probe.Shape.Rows, probe.Shape.Cols, fun _ _ -> rng.NextDouble() + 0.5)

        let scalarOf (out: Node<float>) =
            if out.Shape <> probe.Shape then
                raise (
                    ShapeMismatchException(
                        "gradcheck",
                        probe.Shape,
                        out.Shape,
                        "f must give the same output shape every time"
                    )
                )

            if out.Shape.IsScalar then
                out
            else
                Arith.mul out (Graph.constant weights) |> Reduce.sum

        let variables = inputs |> Array.mapi (fun i x -> Graph.variable $"x{i}" (x.Clone()))
        let analytic = Graph.grad variables (scalarOf (f variables))

        let numeric =
            Numerical.centralDifferences
                step
                (fun xs -> (scalarOf (f (Array.map Graph.constant xs))).Value[0, 0])
                inputs

        let mutable worst =
            {
                Passed = true
                MaxError = 0.0
                Input = 0
                Row = 0
                Col = 0
                Analytic = analytic[0][0, 0]
                Numeric = numeric[0][0, 0]
                Tolerance = tolerance
                Checked = 0
            }

        let mutable finite = true

        for k in 0 .. inputs.Length - 1 do
            for i in 0 .. inputs[k].RowCount - 1 do
                for j in 0 .. inputs[k].ColumnCount - 1 do
                    let a, n = analytic[k][i, j], numeric[k][i, j]

                    let e =
                        if Double.IsFinite a && Double.IsFinite n then
                            error a n
                        else
                            infinity

                    finite <- finite && Double.IsFinite e

                    if e > worst.MaxError || (k = 0 && i = 0 && j = 0) then
                        worst <-
                            { worst with
                                MaxError = e
                                Input = k
                                Row = i
                                Col = j
                                Analytic = a
                                Numeric = n
                            }

        { worst with
            Passed = finite && worst.MaxError <= tolerance
            Checked = inputs |> Array.sumBy (fun x -> x.RowCount * x.ColumnCount)
        }

    /// Checks f at inputs with the default step (1e-6) and tolerance (1e-6).
    let check (f: Node<float>[] -> Node<float>) (inputs: Matrix<float>[]) =
        checkWith defaultStep defaultTolerance f inputs
