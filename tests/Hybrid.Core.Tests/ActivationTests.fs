module Hybrid.Core.Tests.ActivationTests

open System
open Expecto
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

/// Logits as large as ±1e4.
let private huge = sameShape 1 { Lo = -1e4; Hi = 1e4; MinAbs = 0.0 }

/// Forward value and gradient (against a random upstream gradient) are finite.
let private finiteThrough (op: Node<float> -> Node<float>) (m: Matrix<float>) =
    let x = Graph.variable "z" m
    let y = op x
    Graph.backwardWith false (Tensor.ones y.Shape) y
    Tensor.isFinite y.Value && Tensor.isFinite x.Grad.Value

[<Tests>]
let tests =
    testList
        "Activation"
        [
            gradientMatches "sigmoid gradient matches finite differences" "sigmoid" (sameShape 1 Domain.any) (fun x ->
                Activations.sigmoid x[0])

            gradientMatches
                "an activation built from graph ops (x ⊙ tanh x) has a gradient that matches finite differences"
                "graph activation"
                (sameShape 1 Domain.any)
                (fun x ->
                    let rule =
                        GraphActivationRule(
                            "x tanh x",
                            Func<Node<float32>, Node<float32>>(fun v -> Arith.mul v (Activations.tanh v)),
                            Func<Node<float>, Node<float>>(fun v -> Arith.mul v (Activations.tanh v))
                        )

                    Activations.apply rule x[0])

            gradientMatches "tanh gradient matches finite differences" "tanh" (sameShape 1 Domain.any) (fun x ->
                Activations.tanh x[0])

            gradientMatches
                "relu gradient matches finite differences away from zero"
                "relu"
                (sameShape 1 Domain.awayFromZero)
                (fun x -> Activations.relu x[0])

            gradientMatches
                "leaky relu gradient matches finite differences away from zero"
                "leakyRelu 0.1"
                (sameShape 1 Domain.awayFromZero)
                (fun x -> Activations.leakyRelu 0.1 x[0])

            gradientMatches "softplus gradient matches finite differences" "softplus" (sameShape 1 Domain.any) (fun x ->
                Activations.softplus x[0])

            gradientMatches "silu gradient matches finite differences" "silu" (sameShape 1 Domain.any) (fun x ->
                Layer.activate ActivationFunction.SiLU x[0])

            testProperty "silu is x times the sigmoid of x" (fun (v: FsCheck.NormalFloat) ->
                let x = Math.Clamp(v.Get, -30.0, 30.0)

                let y =
                    (Layer.activate ActivationFunction.SiLU (Graph.constant (Tensor.scalar x))).Value[0, 0]

                abs (y - x / (1.0 + exp -x)) <= 1e-12 * (1.0 + abs x))

            gradientMatches "softmax gradient matches finite differences" "softmax" (sameShape 1 Domain.any) (fun x ->
                Activations.softmax x[0])

            gradientMatches
                "log-softmax gradient matches finite differences"
                "logSoftmax"
                (sameShape 1 Domain.any)
                (fun x -> Activations.logSoftmax x[0])

            gradientMatches
                "step has zero gradient, as finite differences away from zero agree"
                "step"
                (sameShape 1 Domain.awayFromZero)
                (fun x -> Activations.step x[0])

            testPropertyWithConfig
                config
                "activations compute the functions they name"
                (Prop.forAll (sameShape 1 Domain.any) (fun case ->
                    let m = case.Inputs[0]
                    let x = Graph.constant m
                    let f (op: Node<float> -> Node<float>) (g: float -> float) = close 1e-12 (op x).Value (m.Map g)

                    (f Activations.sigmoid (fun v -> 1.0 / (1.0 + exp -v))
                     && f Activations.tanh Math.Tanh
                     && f Activations.relu (fun v -> max v 0.0)
                     && f (Activations.leakyRelu 0.2) (fun v -> if v > 0.0 then v else 0.2 * v)
                     && f Activations.softplus (fun v -> log (1.0 + exp v))
                     && f Activations.step (fun v -> if v >= 0.0 then 1.0 else 0.0))
                    |> Prop.ofTestable))

            testProperty
                "the relu rule's forward is IEEE maximum with zero, bit for bit, for any float32 array"
                (fun (xs: float32[]) ->
                    // The generator's values and the edge cases, cut short at each of 16 ends: every special value
                    // falls in the vector loop for some lengths and in its scalar tail for others.
                    let all =
                        Array.append xs [| nanf; -0.0f; 0.0f; -infinityf; infinityf; -1.0f; 1.0e-45f; -1.0e-45f |]
                        |> Array.replicate 3
                        |> Array.concat

                    let bits (v: float32) = BitConverter.SingleToInt32Bits v

                    [ 0..15 ]
                    |> List.forall (fun cut ->
                        let x = all[.. all.Length - 1 - cut]
                        let y = Array.create x.Length 7.0f
                        ActivationRules.relu.Forward(1, x.Length, ReadOnlySpan x, Span y)
                        Array.forall2 (fun v r -> bits r = bits (MathF.Max(v, 0.0f))) x y))

            testPropertyWithConfig
                config
                "softmax rows are distributions and log-softmax is their logarithm"
                (Prop.forAll (sameShape 1 Domain.any) (fun case ->
                    let x = Graph.constant case.Inputs[0]
                    let s = (Activations.softmax x).Value

                    let rowsSumToOne =
                        s.RowSums().Enumerate() |> Seq.forall (fun t -> abs (t - 1.0) < 1e-12)

                    (rowsSumToOne && close 1e-12 (Activations.logSoftmax x).Value (s.PointwiseLog()))
                    |> Prop.ofTestable))

            testPropertyWithConfig
                config
                "softmax and log-softmax stay finite for logits up to ±1e4"
                (Prop.forAll huge (fun case ->
                    (finiteThrough Activations.softmax case.Inputs[0]
                     && finiteThrough Activations.logSoftmax case.Inputs[0]
                     && finiteThrough Activations.sigmoid case.Inputs[0]
                     && finiteThrough Activations.softplus case.Inputs[0])
                    |> Prop.ofTestable))
        ]
