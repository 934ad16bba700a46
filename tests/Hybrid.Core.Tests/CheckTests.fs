module Hybrid.Core.Tests.CheckTests

open Expecto
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core

/// f(W) = Σ (X·W)², whose gradient is 2 Xᵀ (X·W).
let private x = Tensor.ofRows [| [| 1.0; 2.0; -1.0 |]; [| 0.5; -0.3; 2.0 |] |]
let private w = Tensor.ofRows [| [| 0.2; -0.1 |]; [| 0.4; 0.3 |]; [| -0.6; 0.8 |] |]

let private f (m: Matrix<float>[]) =
    (x * m[0]).PointwisePower(2.0).Enumerate() |> Seq.sum

let private rightGradient = 2.0 * x.Transpose() * (x * w)

let private expectRefused (verdict: Verdict) (words: string list) =
    Expect.isFalse verdict.Passed $"refused: {verdict}"

    for word in words do
        Expect.stringContains verdict.Message word $"the message says '{word}'"

[<Tests>]
let tests =
    testList
        "Check"
        [
            testCase "a right gradient passes and says how much was compared" (fun () ->
                let v = Check.gradient "dW" f [| w |] [| rightGradient |]
                Expect.isTrue v.Passed (string v)
                Expect.stringContains v.Message "all 6 partial derivatives" "counts the derivatives")

            testCase "a transposed gradient is refused as transposed" (fun () ->
                let v = Check.gradient "dW" f [| w |] [| rightGradient.Transpose() |]
                expectRefused v [ "2×3"; "expected 3×2"; "transposed" ])

            testCase "a gradient off by a constant factor is refused with the factor" (fun () ->
                let v = Check.gradient "dW" f [| w |] [| 0.5 * rightGradient |]
                expectRefused v [ "0.5 times"; "constant factor" ])

            testCase "a gradient with the wrong sign is refused as such" (fun () ->
                let v = Check.gradient "dW" f [| w |] [| -rightGradient |]
                expectRefused v [ "wrong sign" ])

            testCase "a gradient wrong in one element names that element" (fun () ->
                let wrong = rightGradient.Clone()
                wrong[2, 1] <- wrong[2, 1] + 1.0
                let v = Check.gradient "dW" f [| w |] [| wrong |]
                expectRefused v [ "[2, 1]"; "expected" ])

            testCase "a missing gradient is refused with the count" (fun () ->
                let v = Check.gradient "dW" f [| w |] [||]
                expectRefused v [ "0 gradients given for 1 inputs" ])

            testCase "a wrong backward rule is refused, a right one passes" (fun () ->
                let cube (factor: float) (n: Node<float>) =
                    let v = n.Value

                    Graph.op "cube" [| n |] (v.PointwisePower 3.0) (fun g _ ->
                        g.PointwiseMultiply(factor * v.PointwisePower 2.0))

                let at = [| Tensor.ofRows [| [| 0.5; -1.2; 2.0 |] |] |]
                Expect.isTrue (Check.backward "cube" (fun n -> Reduce.sum (cube 3.0 n[0])) at).Passed "3x² passes"

                expectRefused
                    (Check.backward "cube" (fun n -> Reduce.sum (cube 2.0 n[0])) at)
                    [ "input 0"; "finite differences give" ])

            testCase "an accuracy below the target is refused with the gap" (fun () ->
                expectRefused (Check.accuracy "mnist" 0.97 0.955) [ "95.50%"; "1.50 points below"; "97.00%" ]
                Expect.isTrue (Check.accuracy "mnist" 0.97 0.971).Passed "0.971 reaches 0.97"
                expectRefused (Check.accuracy "mnist" 0.97 97.1) [ "between 0 and 1" ])

            testCase "a shape check names a transpose" (fun () ->
                Expect.isTrue (Check.shape "h" 2 3 (Matrix<float>.Build.Dense(2, 3))).Passed "2×3 is 2×3"
                expectRefused (Check.shape "h" 2 3 (Matrix<float>.Build.Dense(3, 2))) [ "3×2"; "transposed" ])

            testCase "close and value compare within the tolerance" (fun () ->
                Expect.isTrue (Check.value "loss" 1e-9 0.25 0.25).Passed "equal values pass"
                expectRefused (Check.value "loss" 1e-9 0.25 0.3) [ "0.3"; "expected 0.25" ]
                expectRefused (Check.close "h" 1e-9 w (Matrix<float>.Build.Dense(3, 2, nan))) [ "not finite" ])

            testCase "orFail raises the verdict's message for a refused answer" (fun () ->
                let v = Check.gradient "dW" f [| w |] [| -rightGradient |]

                let e = Expect.throwsC (fun () -> Check.orFail v |> ignore) id

                Expect.stringContains e.Message "wrong sign" "the exception says what is wrong"

                Expect.equal
                    (Check.orFail (Check.gradient "dW" f [| w |] [| rightGradient |])).Passed
                    true
                    "a pass is returned")
        ]
