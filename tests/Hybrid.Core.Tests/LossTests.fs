module Hybrid.Core.Tests.LossTests

open Xunit
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

let private pairs (prediction: Domain) (target: Domain) =
    cases 2 (fun d -> [| (d[0], d[1], prediction); (d[0], d[1], target) |])

[<Fact>]
let ``mean squared error gradient matches finite differences`` () =
    gradientMatches "meanSquaredError" (pairs Domain.any Domain.any) (fun x -> Objectives.meanSquaredError x[0] x[1])

[<Fact>]
let ``binary cross-entropy gradient matches finite differences`` () =
    gradientMatches "binaryCrossEntropy" (pairs Domain.probability Domain.unit) (fun x ->
        Objectives.binaryCrossEntropy x[0] x[1])

[<Fact>]
let ``binary cross-entropy with logits gradient matches finite differences`` () =
    gradientMatches "binaryCrossEntropyWithLogits" (pairs Domain.any Domain.unit) (fun x ->
        Objectives.binaryCrossEntropyWithLogits x[0] x[1])

[<Fact>]
let ``categorical cross-entropy with logits gradient matches finite differences`` () =
    gradientMatches "crossEntropyWithLogits" (pairs Domain.any Domain.unit) (fun x ->
        Objectives.crossEntropyWithLogits x[0] x[1])

/// The unfused form: −(1/m) Σ t ⊙ logSoftmax(z), built from primitives.
let private crossEntropyComposite (z: Node<float>) (t: Node<float>) =
    Arith.mul t (Activations.logSoftmax z)
    |> Reduce.sum
    |> Arith.mulScalar (-1.0 / float z.Shape.Rows)

[<Fact>]
let ``fused cross-entropy equals its composite in value and gradient`` () =
    check (pairs Domain.any Domain.unit) (fun case ->
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
        |> Prop.ofTestable)

[<Fact>]
let ``binary cross-entropy from logits equals it from probabilities`` () =
    check (pairs Domain.any Domain.unit) (fun case ->
        let z, t = Graph.constant case.Inputs[0], Graph.constant case.Inputs[1]
        let fromLogits = Objectives.binaryCrossEntropyWithLogits z t
        let fromProbabilities = Objectives.binaryCrossEntropy (Activations.sigmoid z) t
        close 1e-9 fromLogits.Value fromProbabilities.Value |> Prop.ofTestable)

[<Fact>]
let ``losses give the values of their formulas`` () =
    let p = Tensor.ofRows<float> [| [| 0.9; 0.2 |]; [| 0.4; 0.6 |] |]
    let t = Tensor.ofRows<float> [| [| 1.0; 0.0 |]; [| 0.0; 1.0 |] |]
    let mse = Objectives.meanSquaredError (Graph.constant p) (Graph.constant t)
    let expectedMse = (0.01 + 0.04 + 0.16 + 0.16) / 4.0
    Assert.Equal(expectedMse, mse.Value[0, 0], 12)
    let bce = Objectives.binaryCrossEntropy (Graph.constant p) (Graph.constant t)
    let expectedBce = -(log 0.9 + log 0.8 + log 0.6 + log 0.6) / 4.0
    Assert.Equal(expectedBce, bce.Value[0, 0], 12)
    // Logits (0, ln 3) against class 1: softmax = (1/4, 3/4), loss = −ln(3/4).
    let ce =
        Objectives.crossEntropyWithLogits
            (Graph.constant (Tensor.ofRows [| [| 0.0; log 3.0 |] |]))
            (Graph.constant (Tensor.ofRows [| [| 0.0; 1.0 |] |]))

    Assert.Equal(-log 0.75, ce.Value[0, 0], 12)

[<Fact>]
let ``binary cross-entropy of a certain wrong answer is large but finite, as in PyTorch`` () =
    let bce =
        Objectives.binaryCrossEntropy
            (Graph.constant (Tensor.ofRows [| [| 0.0 |] |]))
            (Graph.constant (Tensor.ofRows [| [| 1.0 |] |]))

    Assert.Equal(100.0, bce.Value[0, 0], 12)

/// Logits as large as ±1e4 with targets in [0, 1].
let private hugeLogits = pairs { Lo = -1e4; Hi = 1e4; MinAbs = 0.0 } Domain.unit

[<Fact>]
let ``cross-entropies stay finite for logits up to ±1e4`` () =
    check hugeLogits (fun case ->
        [ Objectives.crossEntropyWithLogits; Objectives.binaryCrossEntropyWithLogits ]
        |> List.forall (fun loss ->
            let z = Graph.variable "z" case.Inputs[0]
            let l = loss z (Graph.constant case.Inputs[1])
            Graph.backward l
            Tensor.isFinite l.Value && Tensor.isFinite z.Grad.Value)
        |> Prop.ofTestable)

[<Fact>]
let ``a loss refuses predictions and targets of different shapes`` () =
    let p = Graph.constant (Tensor.zeros<float>(Shape.create 4 10))
    let t = Graph.constant (Tensor.zeros<float>(Shape.create 4 9))

    let e =
        Assert.Throws<ShapeMismatchException>(fun () -> Objectives.crossEntropyWithLogits p t |> ignore)

    Assert.Equal("crossEntropyWithLogits", e.Op)
    Assert.Contains("4×10", e.Message)
    Assert.Contains("4×9", e.Message)
