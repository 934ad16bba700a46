module Hybrid.Core.Tests.ModelTests

open System
open System.Collections.Generic
open Xunit
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core

let private mlp =
    [|
        LayerSpec.Dense(4, GlorotUniform, Zeros)
        LayerSpec.Activation ActivationFunction.ReLU
        LayerSpec.Dropout 0.5
        LayerSpec.Dense(3, GlorotUniform, Zeros)
    |]

[<Fact>]
let ``parameters carry PyTorch's nn.Sequential names and layouts`` () =
    let model = Sequential.create<float32> (Random 1) 5 mlp

    let names =
        Sequential.parameters model
        |> Array.map (fun (n, p) -> n, p.Shape.Rows, p.Shape.Cols)

    Assert.Equal<(string * int * int)[]>(
        [| "0.weight", 4, 5; "0.bias", 1, 4; "3.weight", 3, 4; "3.bias", 1, 3 |],
        names
    )

    Assert.Equal(3, Sequential.outputs model)
    Assert.Equal(4 * 5 + 4 + 3 * 4 + 3, Sequential.parameterCount model)

[<Fact>]
let ``a dense layer computes x·Wᵀ + b`` () =
    let model =
        Sequential.create<float> (Random 1) 5 [| LayerSpec.Dense(4, GlorotUniform, GlorotUniform) |]

    let parameters = Sequential.parameters model
    let w, b = (snd parameters[0]).Value, (snd parameters[1]).Value
    let x = Matrix<float>.Build.Random(3, 5, 42)
    let expected = x * w.Transpose() + Tensor.broadcastTo (Shape.create 3 4) b
    let actual = Sequential.evaluate model x
    Assert.True((actual - expected).FrobeniusNorm() < 1e-12)

[<Fact>]
let ``dropout zeroes about its rate in training, scales the rest, and is off in evaluation`` () =
    let model = Sequential.create<float> (Random 1) 1000 [| LayerSpec.Dropout 0.3 |]
    let x = Graph.constant (Tensor.ones<float>(Shape.create 10 1000))
    let trained = Sequential.forward { Mode = Training; Random = Random 5 } model x
    let zeros = trained.Value.Enumerate() |> Seq.filter ((=) 0.0) |> Seq.length
    Assert.InRange(float zeros / 10000.0, 0.28, 0.32)

    Assert.True(
        trained.Value.Enumerate()
        |> Seq.forall (fun v -> v = 0.0 || abs (v - 1.0 / 0.7) < 1e-12)
    )

    let evaluated = Sequential.forward { Mode = Evaluation; Random = Random 5 } model x
    Assert.True(evaluated.Value.Equals(x.Value))

[<Fact>]
let ``the same seed builds the same model`` () =
    let a = Sequential.create<float32> (Random 3) 5 mlp
    let b = Sequential.create<float32> (Random 3) 5 mlp

    Array.iter2
        (fun (_, p: Node<float32>) (_, q: Node<float32>) -> Assert.True(p.Value.Equals q.Value))
        (Sequential.parameters a)
        (Sequential.parameters b)

[<Fact>]
let ``loading parameters checks every name and shape`` () =
    let values = Dictionary<string, Matrix<float>>()
    values["0.weight"] <- Matrix<float>.Build.Dense(4, 5)

    let missing =
        Assert.Throws<ArgumentException>(fun () ->
            Sequential.ofParameters 5 [| LayerSpec.Dense(4, Zeros, Zeros) |] values
            |> ignore)

    Assert.Contains("0.bias", missing.Message)
    values["0.bias"] <- Matrix<float>.Build.Dense(1, 3)

    let wrong =
        Assert.Throws<ShapeMismatchException>(fun () ->
            Sequential.ofParameters 5 [| LayerSpec.Dense(4, Zeros, Zeros) |] values
            |> ignore)

    Assert.Contains("0.bias", wrong.Message)

[<Fact>]
let ``a batch of the wrong width names the model's input size`` () =
    let model = Sequential.create<float> (Random 1) 5 mlp

    let e =
        Assert.Throws<ShapeMismatchException>(fun () ->
            Sequential.evaluate model (Matrix<float>.Build.Dense(2, 6)) |> ignore)

    Assert.Contains("5 features", e.Message)

[<Fact>]
let ``a 2-2-1 sigmoid network learns XOR with plain SGD`` () =
    let x =
        Tensor.ofRows<float> [| [| 0.0; 0.0 |]; [| 0.0; 1.0 |]; [| 1.0; 0.0 |]; [| 1.0; 1.0 |] |]

    let y = Tensor.ofRows<float> [| [| 0.0 |]; [| 1.0 |]; [| 1.0 |]; [| 0.0 |] |]

    let model =
        Sequential.create<float>
            (Random 0)
            2
            [|
                LayerSpec.Dense(2, GlorotUniform, Zeros)
                LayerSpec.Activation ActivationFunction.Sigmoid
                LayerSpec.Dense(1, GlorotUniform, Zeros)
                LayerSpec.Activation ActivationFunction.Sigmoid
            |]

    let trainer =
        GraphTrainer(model, LossFunction.MeanSquaredError, OptimizerSpec.sgd 2.0, None)

    let rng = Random 0

    for _ in 1..5000 do
        trainer.Step(x, y, 2.0, rng) |> ignore<struct (float * _)>

    let out = Sequential.evaluate model x

    let classes =
        out.Column(0).ToArray() |> Array.map (fun p -> if p > 0.5 then 1.0 else 0.0)

    Assert.Equal<float[]>([| 0.0; 1.0; 1.0; 0.0 |], classes)
