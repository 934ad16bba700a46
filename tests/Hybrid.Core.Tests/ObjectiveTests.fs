/// Each loss's one description (ObjectiveRule), which both training paths run, computes what the composite of graph
/// ops computes: its value and its gradient in the outputs. And it stays finite where the composite does not.
module Hybrid.Core.Tests.ObjectiveTests

open System
open Expecto
open FsCheck
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

/// −(1/m) Σ t ⊙ ln p, from primitives.
let private categoricalComposite (p: Node<float>) (t: Node<float>) =
    Arith.mul t (Pointwise.log p)
    |> Reduce.sum
    |> Arith.mulScalar (-1.0 / float p.Shape.Rows)

/// Rows of probabilities: the softmax of a matrix from the case.
let private probabilities (m: Matrix<float>) =
    (Activations.softmax (Graph.constant m)).Value

/// The rule's node against the composite's: value and gradient in the outputs.
let private agrees (loss: LossFunction) composite (output: Matrix<float>) (target: Matrix<float>) =
    let ruled = Graph.variable "output" output
    let l = LossFunction.graph loss ruled (Graph.constant target)
    Graph.backward l
    let reference = Graph.variable "output" output
    let c = composite reference (Graph.constant target)
    Graph.backward c

    let valueClose =
        abs (l.Value[0, 0] - c.Value[0, 0]) <= 1e-10 * (1.0 + abs c.Value[0, 0])

    (valueClose && close 1e-9 ruled.Grad.Value reference.Grad.Value)
    |> Prop.label $"{loss}: value {l.Value[0, 0]} against {c.Value[0, 0]}"

[<Tests>]
let tests =
    testList
        "Objective"
        [
            testPropertyWithConfig
                config
                "the mean squared error's rule gives the composite's value and gradient"
                (Prop.forAll (pairs Domain.any Domain.any) (fun c ->
                    agrees LossFunction.MeanSquaredError Objectives.meanSquaredError c.Inputs[0] c.Inputs[1]))

            testPropertyWithConfig
                config
                "the binary cross-entropy's rule gives the composite's value and gradient"
                (Prop.forAll (pairs Domain.probability Domain.unit) (fun c ->
                    agrees LossFunction.BinaryCrossEntropy Objectives.binaryCrossEntropy c.Inputs[0] c.Inputs[1]))

            testPropertyWithConfig
                config
                "the binary cross-entropy on logits' rule gives the composite's value and gradient"
                (Prop.forAll (pairs Domain.any Domain.unit) (fun c ->
                    agrees
                        LossFunction.BinaryCrossEntropyWithLogits
                        Objectives.binaryCrossEntropyWithLogits
                        c.Inputs[0]
                        c.Inputs[1]))

            testPropertyWithConfig
                config
                "the softmax cross-entropy's rule gives the fused graph op's value and gradient"
                (Prop.forAll (pairs Domain.any Domain.unit) (fun c ->
                    agrees LossFunction.SoftmaxCrossEntropy Objectives.crossEntropyWithLogits c.Inputs[0] c.Inputs[1]))

            testPropertyWithConfig
                config
                "the categorical cross-entropy's rule gives the composite's value and gradient on probabilities"
                (Prop.forAll (pairs Domain.any Domain.unit) (fun c ->
                    agrees
                        LossFunction.CategoricalCrossEntropy
                        categoricalComposite
                        (probabilities c.Inputs[0])
                        c.Inputs[1]))

            testCase
                "the binary cross-entropy at p = 0 and p = 1 has PyTorch's finite value and a finite gradient"
                (fun () ->
                    // p = 1 is what a float32 sigmoid gives for z > 17: the composite's gradient is ∞ · 0 = NaN there.
                    for p, t in [ 1.0, 1.0; 1.0, 0.0; 0.0, 0.0; 0.0, 1.0 ] do
                        let output = Graph.variable "p" (Matrix<float>.Build.Dense(1, 1, p))

                        let l =
                            LossFunction.graph
                                LossFunction.BinaryCrossEntropy
                                output
                                (Graph.constant (Matrix<float>.Build.Dense(1, 1, t)))

                        Graph.backward l
                        let expected = if p = t then 0.0 else 100.0

                        Expect.floatClose
                            Accuracy.high
                            l.Value[0, 0]
                            expected
                            $"loss at p = {p}, t = {t} (log clamped at -100)"

                        let g = output.Grad.Value[0, 0]
                        Expect.isTrue (Double.IsFinite g) $"gradient at p = {p}, t = {t} is {g}"

                        Expect.floatClose
                            Accuracy.high
                            g
                            ((p - t) / 1e-12)
                            $"gradient at p = {p}, t = {t}: (p − t) / max(p(1 − p), 1e-12)")

            testCase
                "the composite binary cross-entropy (the Variable API's) has a finite gradient at p = 0 and 1"
                (fun () ->
                    let p =
                        Graph.variable "p" (Matrix<float>.Build.Dense(1, 4, [| 0.0; 1.0; 0.0; 1.0 |]))

                    let t = Graph.constant (Matrix<float>.Build.Dense(1, 4, [| 0.0; 1.0; 1.0; 0.0 |]))
                    let l = Objectives.binaryCrossEntropy p t
                    Graph.backward l
                    Expect.floatClose Accuracy.high l.Value[0, 0] 50.0 "two clamped logs of -100 over four"
                    Expect.all (p.Grad.Value.Enumerate()) Double.IsFinite "every gradient is finite")

            testCase
                "sigmoid then the binary cross-entropy gives a finite gradient for saturated float32 logits"
                (fun () ->
                    let z =
                        Graph.variable "z" (Matrix<float32>.Build.Dense(1, 3, [| 40.0f; -40.0f; 0.5f |]))

                    let t = Graph.constant (Matrix<float32>.Build.Dense(1, 3, [| 1.0f; 1.0f; 0.0f |]))
                    let l = LossFunction.graph LossFunction.BinaryCrossEntropy (Activations.sigmoid z) t
                    Graph.backward l
                    Expect.isTrue (Single.IsFinite l.Value[0, 0]) "loss"
                    Expect.all (z.Grad.Value.Enumerate()) Single.IsFinite "every gradient is finite")
        ]
