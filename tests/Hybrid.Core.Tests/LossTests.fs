module Hybrid.Core.Tests.LossTests

open Expecto
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

/// The unfused form: −(1/m) Σ t ⊙ logSoftmax(z), built from primitives.
let private crossEntropyComposite (z: Node<float>) (t: Node<float>) =
    Arith.mul t (Activations.logSoftmax z)
    |> Reduce.sum
    |> Arith.mulScalar (-1.0 / float z.Shape.Rows)

/// Logits as large as ±1e4 with targets in [0, 1].
let private hugeLogits = pairs { Lo = -1e4; Hi = 1e4; MinAbs = 0.0 } Domain.unit

[<Tests>]
let tests =
    testList
        "Loss"
        [
            gradientMatches
                "mean squared error gradient matches finite differences"
                "meanSquaredError"
                (pairs Domain.any Domain.any)
                (fun x -> Objectives.meanSquaredError x[0] x[1])

            gradientMatches
                "binary cross-entropy gradient matches finite differences"
                "binaryCrossEntropy"
                (pairs Domain.probability Domain.unit)
                (fun x -> Objectives.binaryCrossEntropy x[0] x[1])

            gradientMatches
                "binary cross-entropy with logits gradient matches finite differences"
                "binaryCrossEntropyWithLogits"
                (pairs Domain.any Domain.unit)
                (fun x -> Objectives.binaryCrossEntropyWithLogits x[0] x[1])

            gradientMatches
                "categorical cross-entropy with logits gradient matches finite differences"
                "crossEntropyWithLogits"
                (pairs Domain.any Domain.unit)
                (fun x -> Objectives.crossEntropyWithLogits x[0] x[1])

            testPropertyWithConfig
                config
                "fused cross-entropy equals its composite in value and gradient"
                (Prop.forAll (pairs Domain.any Domain.unit) (fun case ->
                    let run loss =
                        let z = Graph.variable "z" case.Inputs[0]
                        let t = Graph.variable "t" case.Inputs[1]
                        let l = loss z t
                        let grads = Graph.grad [ z; t ] l
                        l.Value, grads

                    let fused, gf = run Objectives.crossEntropyWithLogits
                    let composite, gc = run crossEntropyComposite

                    (close 1e-12 fused composite
                     && close 1e-12 gf[0] gc[0]
                     && close 1e-12 gf[1] gc[1])
                    |> Prop.ofTestable))

            testPropertyWithConfig
                config
                "binary cross-entropy from logits equals it from probabilities"
                (Prop.forAll (pairs Domain.any Domain.unit) (fun case ->
                    let z, t = Graph.constant case.Inputs[0], Graph.constant case.Inputs[1]
                    let fromLogits = Objectives.binaryCrossEntropyWithLogits z t
                    let fromProbabilities = Objectives.binaryCrossEntropy (Activations.sigmoid z) t
                    close 1e-9 fromLogits.Value fromProbabilities.Value |> Prop.ofTestable))

            testCase "losses give the values of their formulas" (fun () ->
                let p = Tensor.ofRows<float> [| [| 0.9; 0.2 |]; [| 0.4; 0.6 |] |]
                let t = Tensor.ofRows<float> [| [| 1.0; 0.0 |]; [| 0.0; 1.0 |] |]
                let mse = Objectives.meanSquaredError (Graph.constant p) (Graph.constant t)
                let expectedMse = (0.01 + 0.04 + 0.16 + 0.16) / 4.0
                Expect.equalDigits 12 mse.Value[0, 0] expectedMse "mean squared error"
                let bce = Objectives.binaryCrossEntropy (Graph.constant p) (Graph.constant t)
                let expectedBce = -(log 0.9 + log 0.8 + log 0.6 + log 0.6) / 4.0
                Expect.equalDigits 12 bce.Value[0, 0] expectedBce "binary cross-entropy"
                // Logits (0, ln 3) against class 1: softmax = (1/4, 3/4), loss = −ln(3/4).
                let ce =
                    Objectives.crossEntropyWithLogits
                        (Graph.constant (Tensor.ofRows [| [| 0.0; log 3.0 |] |]))
                        (Graph.constant (Tensor.ofRows [| [| 0.0; 1.0 |] |]))

                Expect.equalDigits 12 ce.Value[0, 0] (-log 0.75) "cross-entropy")

            testCase "binary cross-entropy of a certain wrong answer is large but finite, as in PyTorch" (fun () ->
                let bce =
                    Objectives.binaryCrossEntropy
                        (Graph.constant (Tensor.ofRows [| [| 0.0 |] |]))
                        (Graph.constant (Tensor.ofRows [| [| 1.0 |] |]))

                Expect.equalDigits 12 bce.Value[0, 0] 100.0 "the log is clamped at −100")

            testPropertyWithConfig
                config
                "cross-entropies stay finite for logits up to ±1e4"
                (Prop.forAll hugeLogits (fun case ->
                    [ Objectives.crossEntropyWithLogits; Objectives.binaryCrossEntropyWithLogits ]
                    |> List.forall (fun loss ->
                        let z = Graph.variable "z" case.Inputs[0]
                        let l = loss z (Graph.constant case.Inputs[1])
                        Graph.backward l
                        Tensor.isFinite l.Value && Tensor.isFinite z.Grad.Value)
                    |> Prop.ofTestable))

            testCase "a loss refuses predictions and targets of different shapes" (fun () ->
                let p = Graph.constant (Tensor.zeros<float>(Shape.create 4 10))
                let t = Graph.constant (Tensor.zeros<float>(Shape.create 4 9))

                let e =
                    Expect.throwsExactly<ShapeMismatchException>(fun () ->
                        Objectives.crossEntropyWithLogits p t |> ignore)

                Expect.equal e.Op "crossEntropyWithLogits" "the op"
                Expect.stringContains e.Message "4×10" "the message names the predictions' shape"
                Expect.stringContains e.Message "4×9" "the message names the targets' shape")
        ]
