/// One definition of each op serves float32 (training) and float64 (checks).
module Hybrid.Core.Tests.PrecisionTests

open System
open System.Numerics
open Expecto
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

/// A one-hidden-layer network's loss, written once for any precision.
let private network (x: Node<'T>) (w1: Node<'T>) (b1: Node<'T>) (w2: Node<'T>) (t: Node<'T>) =
    let h = Linalg.addRowVector (Linalg.matmul x w1) b1 |> Activations.tanh
    let z = Linalg.matmul h w2
    Arith.add (Objectives.crossEntropyWithLogits z t) (Objectives.meanSquaredError (Activations.sigmoid z) t)

/// The loss and the gradients of the four parameters, in the precision 'T, widened to float.
let private lossAndGrads<'T
    when 'T: struct and 'T: (new: unit -> 'T) and 'T :> ValueType and 'T :> IFloatingPointIeee754<'T>>
    (inputs: Matrix<float>[])
    =
    let nodes =
        inputs |> Array.map (fun m -> Graph.variable "" (Tensor.convert<float, 'T> m))

    let loss =
        network nodes[0] nodes[1] nodes[2] nodes[3] (Graph.constant (Tensor.convert<float, 'T> inputs[4]))

    let grads = Graph.grad nodes[0..3] loss
    Tensor.convert<'T, float> loss.Value, grads |> Array.map Tensor.convert<'T, float>

/// The largest float32-against-float64 error accepted, relative to max(1, |value|) (see the property).
let private float32Tolerance = 1e-4

// dims [batch; in; hidden; classes]
let private networks =
    cases 4 (fun d ->
        [|
            (d[0], d[1], Domain.any)
            (d[1], d[2], Domain.any)
            (1, d[2], Domain.any)
            (d[2], d[3], Domain.any)
            (d[0], d[3], Domain.unit)
        |])

[<Tests>]
let tests =
    testList
        "Precision"
        [
            // float32 carries 24 bits (ε ≈ 6e-8). Logits here reach |z| ≈ 20 and every gradient is a sum of
            // products of such terms, so float32 rounding alone reaches a few 1e-5 of max(1, |value|); a wrong
            // derivative or a step taken in another precision is off by far more than the tolerance below.
            reportedProperty
                "float32 and float64 compute the same loss and gradients from one definition"
                "float32 against float64"
                (fun observe ->
                    Prop.forAll networks (fun case ->
                        let loss64, grads64 = lossAndGrads<float> case.Inputs
                        let loss32, grads32 = lossAndGrads<float32> case.Inputs

                        let worst =
                            Array.append [| loss32 |] grads32
                            |> Array.map2
                                (fun (b: Matrix<float>) (a: Matrix<float>) ->
                                    Seq.map2 GradientCheck.error (a.Enumerate()) (b.Enumerate()) |> Seq.max)
                                (Array.append [| loss64 |] grads64)
                            |> Array.max

                        observe worst
                        (worst <= float32Tolerance) |> Prop.ofTestable))

            testCase "float32 matrices hold float32 values" (fun () ->
                let x = Graph.variable "x" (Tensor.ofRows<float32> [| [| 1.0; 2.0 |] |])
                let y = Reduce.sum (Activations.softplus x)
                Graph.backward y
                Expect.isTrue (box x.Grad.Value :? Matrix<float32>) $"the gradient is a {x.Grad.Value.GetType()}"

                Expect.equalDigits
                    5
                    (float y.Value[0, 0])
                    (float (float32 (log (1.0 + exp 1.0) + log (1.0 + exp 2.0))))
                    "the loss")
        ]
