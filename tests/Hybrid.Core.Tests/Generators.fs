/// Test data for the properties: random shapes (1 to 6 rows and columns) and random matrices
/// drawn from a domain that keeps away from the points where an op has no derivative.
module Hybrid.Core.Tests.Generators

open System
open System.IO
open FsCheck
open FsCheck.FSharp
open Expecto
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core

/// Where random elements come from: [Lo, Hi], with |x| ≥ MinAbs (so ReLU, abs, step and
/// division are never probed within MinAbs of their kink or pole; the finite-difference step
/// is 1e-6, far smaller).
type Domain =
    {
        Lo: float
        Hi: float
        MinAbs: float
    }

    member d.Contains x =
        x >= d.Lo && x <= d.Hi && abs x >= d.MinAbs

module Domain =
    /// Smooth ops: any value in [−3, 3].
    let any = { Lo = -3.0; Hi = 3.0; MinAbs = 0.0 }
    /// Ops with a kink or pole at 0: [−3, 3] without (−0.05, 0.05).
    let awayFromZero = { Lo = -3.0; Hi = 3.0; MinAbs = 0.05 }
    /// log, sqrt, pow: [0.2, 4].
    let positive = { Lo = 0.2; Hi = 4.0; MinAbs = 0.0 }
    /// Probabilities for the binary cross-entropy: [0.05, 0.95].
    let probability = { Lo = 0.05; Hi = 0.95; MinAbs = 0.0 }
    /// Non-negative targets (soft labels, binary targets): [0, 1].
    let unit = { Lo = 0.0; Hi = 1.0; MinAbs = 0.0 }

let private value (d: Domain) =
    Gen.choose (0, 1_000_000)
    |> Gen.map (fun u ->
        let x = d.Lo + (d.Hi - d.Lo) * float u / 1e6

        if abs x >= d.MinAbs then x
        elif x >= 0.0 && d.MinAbs <= d.Hi then d.MinAbs
        else -d.MinAbs)

/// A matrix of the given shape with elements from the domain.
let matrix (d: Domain) rows cols =
    Gen.arrayOfLength (rows * cols) (value d)
    |> Gen.map (fun xs -> Matrix<float>.Build.Dense(rows, cols, fun i j -> xs[i * cols + j]))

/// One generated case: the dimensions drawn, and input matrices whose shapes follow from them.
[<StructuredFormatDisplay("{Display}")>]
type Case =
    {
        Dims: int[]
        Inputs: Matrix<float>[]
    }

    member c.Display =
        let show (m: Matrix<float>) =
            [
                for i in 0 .. m.RowCount - 1 ->
                    m.Row(i).ToArray() |> Array.map (fun x -> x.ToString "R") |> String.concat " "
            ]
            |> String.concat "; "

        let dims = c.Dims |> Array.map string |> String.concat ","

        let inputs =
            c.Inputs
            |> Array.mapi (fun i m -> $"x{i} {m.RowCount}×{m.ColumnCount} = [{show m}]")

        $"dims [{dims}]: " + String.concat ", " inputs

    override c.ToString() = c.Display

/// The shapes and domains of a case's inputs, from its dimensions. Shapes must not grow when a
/// dimension shrinks (shrinking takes the top-left corner of every input).
type Spec = int[] -> (int * int * Domain)[]

/// Cases for spec with dimCount dimensions, each from 1 to 6. Shrinks towards fewer rows and
/// columns, then towards values rounded to one decimal.
let cases (dimCount: int) (spec: Spec) : Arbitrary<Case> =
    let generate =
        gen {
            let! dims = Gen.arrayOfLength dimCount (Gen.choose (1, 6))

            let! inputs =
                spec dims |> Array.map (fun (r, c, d) -> matrix d r c) |> Gen.sequenceToArray

            return { Dims = dims; Inputs = inputs }
        }

    let shrink (case: Case) =
        seq {
            for k in 0 .. case.Dims.Length - 1 do
                if case.Dims[k] > 1 then
                    let dims = Array.updateAt k (case.Dims[k] - 1) case.Dims

                    let inputs =
                        Array.map2 (fun (m: Matrix<float>) (r, c, _) -> m.SubMatrix(0, r, 0, c)) case.Inputs (spec dims)

                    yield { Dims = dims; Inputs = inputs }

            let specs = spec case.Dims

            for k in 0 .. case.Inputs.Length - 1 do
                let _, _, d = specs[k]
                let m = case.Inputs[k]

                let rounded =
                    m.Map(fun x -> let r = Math.Round(x, 1) in if d.Contains r then r else x)

                if not (rounded.Equals m) then
                    yield
                        { case with
                            Inputs = Array.updateAt k rounded case.Inputs
                        }
        }

    Arb.fromGenShrink (generate, shrink)

/// A loss's two inputs, prediction and target, of one shape r×c (dims [r; c]), each from its own domain.
let pairs (prediction: Domain) (target: Domain) =
    cases 2 (fun d -> [| (d[0], d[1], prediction); (d[0], d[1], target) |])

/// Inputs of one shape r×c (dims [r; c]), all from one domain.
let sameShape (count: int) (d: Domain) =
    cases 2 (fun dims -> Array.replicate count (dims[0], dims[1], d))

/// Every property runs at least this many cases (Expecto's FsCheck settings; a failure is shrunk and the
/// shrunk case printed with the seed that replays it). HYBRID_REPLAY="seed1,seed2,size" (the numbers of a failure's
/// "Focus on error" line) replays that case in every property run, e.g. with --filter-test-case.
let config =
    let replay =
        match Environment.GetEnvironmentVariable "HYBRID_REPLAY" with
        | null
        | "" -> None
        | text ->
            match text.Split(',') |> Array.map (fun s -> s.Trim().TrimEnd('U', 'L')) with
            | [| a; b; size |] -> Some(UInt64.Parse a, UInt64.Parse b, Some(Int32.Parse size))
            | _ -> failwith $"HYBRID_REPLAY is '{text}', not 'seed1,seed2,size'"

    { FsCheckConfig.defaultConfig with
        maxTest = 150
        replay = replay
    }

/// The worst gradient error of each property, appended to the file HYBRID_GRADCHECK_REPORT
/// names (build/test.sh prints the table).
module Report =
    let private gate = obj ()

    let record (name: string) (error: float) =
        match Environment.GetEnvironmentVariable "HYBRID_GRADCHECK_REPORT" with
        | null
        | "" -> ()
        | path -> lock gate (fun () -> File.AppendAllText(path, $"{name}\t{error:E2}{Environment.NewLine}"))

/// The property test `test`, given a function to observe each case's gradient error with; the worst is
/// reported under `name` once FsCheck has run all the cases.
let reportedProperty (test: string) (name: string) (property: (float -> unit) -> Property) =
    let mutable worst = 0.0

    let config =
        { config with
            finishedTest = fun _ _ _ -> async { Report.record name worst }
        }

    testPropertyWithConfig config test (property (fun error -> worst <- max worst error))

/// The test `test`: the gradient of f agrees with central finite differences (float64, error ≤ 1e-6) on
/// every case; the worst error is reported under `name`.
let gradientMatches (test: string) (name: string) (arb: Arbitrary<Case>) (f: Node<float>[] -> Node<float>) =
    reportedProperty test name (fun observe ->
        Prop.forAll arb (fun case ->
            let result = GradientCheck.check f case.Inputs
            observe result.MaxError
            result.Passed |> Prop.label (string result)))

/// Two matrices agree to a tolerance, relative above one and absolute below.
let close (tolerance: float) (a: Matrix<float>) (b: Matrix<float>) =
    a.RowCount = b.RowCount
    && a.ColumnCount = b.ColumnCount
    && Seq.forall2 (fun x y -> GradientCheck.error x y <= tolerance) (a.Enumerate()) (b.Enumerate())
