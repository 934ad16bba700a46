module Hybrid.Core.Tests.InitTests

open System
open Expecto
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core

let private draw init fanIn fanOut =
    Init.create<float> init (Random 7) fanIn fanOut 200 300

let private variance (m: Matrix<float>) =
    let xs = m.Enumerate() |> Seq.toArray
    let mean = Array.average xs
    xs |> Array.averageBy (fun x -> (x - mean) ** 2.0)

[<Tests>]
let tests =
    testList
        "Init"
        [
            testCase "initializers have the variance their papers prescribe" (fun () ->
                let fanIn, fanOut = 300, 200

                for init, expected in
                    [
                        GlorotUniform, 2.0 / float (fanIn + fanOut)
                        GlorotNormal, 2.0 / float (fanIn + fanOut)
                        HeUniform, 2.0 / float fanIn
                        HeNormal, 2.0 / float fanIn
                        LeCunNormal, 1.0 / float fanIn
                    ] do
                    let v = variance (draw init fanIn fanOut)
                    Expect.isTrue (abs (v - expected) / expected < 0.03) $"{init}: variance {v}, expected {expected}")

            testCase "uniform initializers stay within their bounds" (fun () ->
                let bound = sqrt (6.0 / 500.0)

                Expect.isTrue
                    ((draw GlorotUniform 300 200).Enumerate() |> Seq.forall (fun x -> abs x <= bound))
                    $"every weight within ±{bound}")

            testCase "zeros are zeros" (fun () ->
                Expect.isTrue ((draw Zeros 3 4).Enumerate() |> Seq.forall ((=) 0.0)) "every weight is 0")

            testCase "the same seed draws the same weights" (fun () ->
                Expect.isTrue ((draw HeNormal 10 10).Equals(draw HeNormal 10 10)) "seed 7 twice"

                Expect.isFalse
                    ((draw HeNormal 10 10).Equals(Init.create<float> HeNormal (Random 8) 10 10 200 300))
                    "seeds 7 and 8")
        ]
