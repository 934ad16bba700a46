module Hybrid.Core.Tests.GradcheckTests

open Expecto
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

/// x² with a correct derivative, 2x.
let private square (x: Node<float>) =
    Graph.op "square" [| x |] (x.Value.PointwiseMultiply x.Value) (fun g _ -> g.PointwiseMultiply(x.Value.Multiply 2.0))

/// x² with a deliberately wrong derivative: x instead of 2x.
let private wrongSquare (x: Node<float>) =
    Graph.op "square" [| x |] (x.Value.PointwiseMultiply x.Value) (fun g _ -> g.PointwiseMultiply x.Value)

[<Tests>]
let tests =
    testList
        "GradientCheck"
        [
            testCase "gradcheck passes a correct user-defined op" (fun () ->
                let result =
                    GradientCheck.check
                        (fun x -> Reduce.sum (square x[0]))
                        [| Tensor.ofRows [| [| 1.0; -2.0 |]; [| 0.5; 3.0 |] |] |]

                Expect.isTrue result.Passed (string result)
                Expect.equal result.Checked 4 "every element checked"
                Expect.isTrue (result.MaxError < 1e-8) $"max error {result.MaxError} below 1e-8")

            testCase "gradcheck catches a deliberately wrong derivative and says where" (fun () ->
                let result =
                    GradientCheck.check
                        (fun x -> Reduce.sum (wrongSquare x[0]))
                        [| Tensor.ofRows [| [| 0.25; -0.4 |]; [| 0.1; 3.0 |] |] |]

                Expect.isFalse result.Passed "the check fails"
                // Errors |x − 2x| / max(1, |2x|): 0.25, 0.4, 0.1 and, the worst, 3/6 at x = 3.
                Expect.equal (result.Input, result.Row, result.Col) (0, 1, 1) "where the worst error is"
                Expect.equalDigits 6 result.Analytic 3.0 "the analytic derivative there"
                Expect.equalDigits 6 result.Numeric 6.0 "the numeric derivative there"
                Expect.equalDigits 6 result.MaxError 0.5 "the worst error"
                Expect.stringContains (string result) "FAILED" "the report says it failed")

            testPropertyWithConfig
                config
                "gradcheck catches a wrong derivative on every random input"
                (Prop.forAll (sameShape 1 Domain.awayFromZero) (fun case ->
                    not (GradientCheck.check (fun x -> Reduce.sum (wrongSquare x[0])) case.Inputs).Passed
                    |> Prop.ofTestable))

            testCase "gradcheck contracts a non-scalar output so every element's gradient is checked" (fun () ->
                let input = [| Tensor.ofRows [| [| 1.0; -2.0; 4.0 |] |] |]
                Expect.isTrue (GradientCheck.check (fun x -> square x[0]) input).Passed "the correct op passes"
                Expect.isFalse (GradientCheck.check (fun x -> wrongSquare x[0]) input).Passed "the wrong op fails")

            testCase "gradcheck reports a non-finite gradient as a failure" (fun () ->
                let result =
                    GradientCheck.check (fun x -> Reduce.sum (Pointwise.log x[0])) [| Tensor.ofRows [| [| 0.0 |] |] |]

                Expect.isFalse result.Passed "log at 0 fails the check")

            testCase "the error is relative above one and absolute below" (fun () ->
                Expect.equalDigits 12 (GradientCheck.error 100.0 50.0) 0.5 "relative above one"
                Expect.equalDigits 12 (GradientCheck.error 1e-3 0.0) 1e-3 "absolute below one")
        ]
