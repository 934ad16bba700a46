namespace Hybrid.Core

open System
open MathNet.Numerics.LinearAlgebra

/// The verdict on an exercise's answer: whether it passed, and in words what was found.
type Verdict =
    {
        /// The exercise, as the page names it.
        Exercise: string
        /// True when the answer is right.
        Passed: bool
        /// What was measured, and for a wrong answer what is wrong and where to look.
        Message: string
    }

    /// "✓ exercise: message" or "✗ exercise: message".
    override v.ToString() =
        let mark = if v.Passed then "✓" else "✗"
        $"{mark} {v.Exercise}: {v.Message}"

/// Raised by Check.orFail for an answer that did not pass; its message is the verdict's.
type ExerciseFailed(verdict: Verdict) =
    inherit Exception(string verdict)

    /// The verdict that did not pass.
    member _.Verdict = verdict

/// Grades the answers to the course's exercises: a gradient against central finite differences, a backward rule by
/// a gradient check, a value against the expected one, an accuracy against a target, a shape. Each check returns a
/// Verdict that says what is wrong (a transposed or wrongly sized gradient, a sign, a constant factor, the worst
/// element), so a reader learns more than "no".
[<RequireQualifiedAccess>]
module Check =

    let private shapeText (m: Matrix<float>) = $"{m.RowCount}×{m.ColumnCount}"

    /// 2.8e-17 rather than .NET's 2.8e-017.
    let private sci (x: float) =
        x.ToString("0.0e+0", Globalization.CultureInfo.InvariantCulture)

    let private pass exercise message =
        {
            Exercise = exercise
            Passed = true
            Message = message
        }

    let private fail exercise message =
        {
            Exercise = exercise
            Passed = false
            Message = message
        }

    /// Why `answer` does not have `expected`'s shape (a transpose named as such), or None when it does.
    let private shapeFault (what: string) (expected: Matrix<float>) (answer: Matrix<float>) =
        if answer.RowCount = expected.RowCount && answer.ColumnCount = expected.ColumnCount then
            None
        elif answer.RowCount = expected.ColumnCount && answer.ColumnCount = expected.RowCount then
            Some
                $"{what} is {shapeText answer}, expected {shapeText expected}: it is transposed (a gradient has the shape of what it is the gradient of)"
        else
            Some $"{what} is {shapeText answer}, expected {shapeText expected}"

    /// The worst element of |a − e| / max(1, |a|, |e|) and a hint when the answer is the expected value negated,
    /// scaled by a constant, or not finite.
    let private compare (what: string) (tolerance: float) (expected: Matrix<float>) (answer: Matrix<float>) =
        let mutable worst, wi, wj = -1.0, 0, 0

        for i in 0 .. expected.RowCount - 1 do
            for j in 0 .. expected.ColumnCount - 1 do
                let a, e = answer[i, j], expected[i, j]

                let err =
                    if Double.IsFinite a then
                        GradientCheck.error a e
                    else
                        infinity

                if err > worst then
                    worst <- err
                    wi <- i
                    wj <- j

        if worst <= tolerance then
            Ok worst
        else
            let a, e = answer[wi, wj], expected[wi, wj]

            let hint =
                if not (Double.IsFinite a) then
                    " It is not finite: look for a division by zero or an overflowing exp."
                else
                    // A constant ratio over the elements that are not near zero: a sign or a factor (1/n, 2) is off.
                    let ratios =
                        [|
                            for i in 0 .. expected.RowCount - 1 do
                                for j in 0 .. expected.ColumnCount - 1 do
                                    if abs expected[i, j] > 1e-8 then
                                        answer[i, j] / expected[i, j]
                        |]

                    if ratios.Length = 0 then
                        ""
                    else
                        let r = ratios[0]

                        let constant =
                            ratios |> Array.forall (fun q -> abs (q - r) <= 1e-6 * max 1.0 (abs r))

                        if constant && abs (r + 1.0) < 1e-6 then
                            " It is the right value with the wrong sign."
                        elif constant && ratios.Length > 1 && abs r > 1e-12 then
                            $" Every element is %.6g{r} times the right one: a constant factor (a 1/n, a 2) is off."
                        else
                            ""

            Error
                $"{what} at [{wi}, {wj}] is %.6g{a}, expected %.6g{e} (error {sci worst}, tolerance {sci tolerance}).{hint}"

    /// Checks a gradient worked out by hand: `answer[k]` should be ∂f/∂inputs[k] at `inputs`, for a scalar function
    /// f. The expected gradient comes from central finite differences (step 1e-6); each answer must have its input's
    /// shape and agree to 1e-5 in the error |a − n| / max(1, |a|, |n|).
    let gradient (exercise: string) (f: Matrix<float>[] -> float) (inputs: Matrix<float>[]) (answer: Matrix<float>[]) =
        if answer.Length <> inputs.Length then
            fail exercise $"{answer.Length} gradients given for {inputs.Length} inputs: give one per input, in order"
        else
            let numeric = Numerical.centralDifferences GradientCheck.defaultStep f inputs

            let faults =
                Array.init inputs.Length (fun k ->
                    match shapeFault $"the gradient of input {k}" inputs[k] answer[k] with
                    | Some fault -> Some fault
                    | None ->
                        match compare $"the gradient of input {k}" 1e-5 numeric[k] answer[k] with
                        | Ok _ -> None
                        | Error fault -> Some fault)
                |> Array.choose id

            if faults.Length = 0 then
                let n = inputs |> Array.sumBy (fun x -> x.RowCount * x.ColumnCount)
                pass exercise $"the gradient matches central finite differences in all {n} partial derivatives"
            else
                fail exercise (String.Join(" ", faults))

    /// Checks a backward rule (an op made with Graph.op, or any function of nodes) with GradientCheck.check at
    /// `inputs`, and names the worst element when it disagrees with finite differences.
    let backward (exercise: string) (f: Node<float>[] -> Node<float>) (inputs: Matrix<float>[]) =
        let r = GradientCheck.check f inputs

        if r.Passed then
            pass
                exercise
                $"backward agrees with finite differences (max error {sci r.MaxError}, {r.Checked} derivatives)"
        else
            fail
                exercise
                $"backward gives %.6g{r.Analytic} for input {r.Input}[{r.Row}, {r.Col}], finite differences give %.6g{r.Numeric} (error {sci r.MaxError}); look at the local derivative of the op that feeds it"

    /// Checks a computed matrix against the expected one: same shape, every element within `tolerance` in the
    /// error |a − e| / max(1, |a|, |e|).
    let close (exercise: string) (tolerance: float) (expected: Matrix<float>) (answer: Matrix<float>) =
        match shapeFault "the answer" expected answer with
        | Some fault -> fail exercise fault
        | None ->
            match compare "the answer" tolerance expected answer with
            | Ok worst ->
                pass exercise $"all {expected.RowCount * expected.ColumnCount} values agree (max error {sci worst})"
            | Error fault -> fail exercise fault

    /// Checks a matrix's shape: rows × cols.
    let shape (exercise: string) (rows: int) (cols: int) (answer: Matrix<float>) =
        if answer.RowCount = rows && answer.ColumnCount = cols then
            pass exercise $"the shape is {rows}×{cols}"
        elif answer.RowCount = cols && answer.ColumnCount = rows then
            fail exercise $"the shape is {shapeText answer}, expected {rows}×{cols}: it is transposed"
        else
            fail exercise $"the shape is {shapeText answer}, expected {rows}×{cols}"

    /// Checks an accuracy (a fraction, 0..1) against a target: at least `target`.
    let accuracy (exercise: string) (target: float) (measured: float) =
        if not (Double.IsFinite measured) || measured < 0.0 || measured > 1.0 then
            fail exercise $"an accuracy is a fraction between 0 and 1; %g{measured} was given"
        elif measured >= target then
            pass exercise $"accuracy %.2f{100.0 * measured}%% reaches the target %.2f{100.0 * target}%%"
        else
            fail
                exercise
                $"accuracy %.2f{100.0 * measured}%% is %.2f{100.0 * (target - measured)} points below the target %.2f{100.0 * target}%%: train longer, change the learning rate, or widen the network"

    /// Checks a scalar (a loss, a step) against the expected value within `tolerance` in the error
    /// |a − e| / max(1, |a|, |e|).
    let value (exercise: string) (tolerance: float) (expected: float) (answer: float) =
        close exercise tolerance (Matrix<float>.Build.Dense(1, 1, expected)) (Matrix<float>.Build.Dense(1, 1, answer))

    /// The verdict itself when it passed; raises ExerciseFailed with its message when it did not (a page's solution
    /// uses it, so a solution that stopped passing fails the build).
    let orFail (verdict: Verdict) =
        if verdict.Passed then
            verdict
        else
            raise (ExerciseFailed verdict)
