module Hybrid.Core.Tests.ModelTests

open System
open System.Collections.Generic
open Expecto
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core

let private mlp =
    [|
        LayerSpec.Dense(4, GlorotUniform, Zeros)
        LayerSpec.Activation ActivationFunction.ReLU
        LayerSpec.Dropout 0.5
        LayerSpec.Dense(3, GlorotUniform, Zeros)
    |]

[<Tests>]
let tests =
    testList
        "Model"
        [
            testCase "parameters carry PyTorch's nn.Sequential names and layouts" (fun () ->
                let model = Sequential.create<float32> (Random 1) 5 mlp

                let names =
                    Sequential.parameters model
                    |> Array.map (fun (n, p) -> n, p.Shape.Rows, p.Shape.Cols)

                Expect.equal
                    names
                    [| "0.weight", 4, 5; "0.bias", 1, 4; "3.weight", 3, 4; "3.bias", 1, 3 |]
                    "names and shapes"

                Expect.equal (Sequential.outputs model) 3 "outputs"
                Expect.equal (Sequential.parameterCount model) (4 * 5 + 4 + 3 * 4 + 3) "parameter count")

            testCase "a dense layer computes x·Wᵀ + b" (fun () ->
                let model =
                    Sequential.create<float> (Random 1) 5 [| LayerSpec.Dense(4, GlorotUniform, GlorotUniform) |]

                let parameters = Sequential.parameters model
                let w, b = (snd parameters[0]).Value, (snd parameters[1]).Value
                let x = Matrix<float>.Build.Random(3, 5, 42)
                let expected = x * w.Transpose() + Tensor.broadcastTo (Shape.create 3 4) b
                let actual = Sequential.evaluate model x
                Expect.isTrue ((actual - expected).FrobeniusNorm() < 1e-12) "x·Wᵀ + b")

            testCase "dropout zeroes about its rate in training, scales the rest, and is off in evaluation" (fun () ->
                let model = Sequential.create<float> (Random 1) 1000 [| LayerSpec.Dropout 0.3 |]
                let x = Graph.constant (Tensor.ones<float>(Shape.create 10 1000))
                let trained = Sequential.forward { Mode = Training; Random = Random 5 } model x
                let zeros = trained.Value.Enumerate() |> Seq.filter ((=) 0.0) |> Seq.length
                let rate = float zeros / 10000.0
                Expect.isTrue (rate >= 0.28 && rate <= 0.32) $"{rate} of the inputs dropped, expected 0.28 to 0.32"

                Expect.isTrue
                    (trained.Value.Enumerate()
                     |> Seq.forall (fun v -> v = 0.0 || abs (v - 1.0 / 0.7) < 1e-12))
                    "the rest scaled by 1/0.7"

                let evaluated = Sequential.forward { Mode = Evaluation; Random = Random 5 } model x
                Expect.isTrue (evaluated.Value.Equals(x.Value)) "off in evaluation")

            testCase
                "a dropout mask drawn with its product is the one drawn alone, the product is x ⊙ mask, and an odd last column drops about its rate"
                (fun () ->
                    let rows, cols = 3001, 7
                    let x = Array.init (rows * cols) (fun k -> sin (float k) + 2.0)
                    let alone = Array.zeroCreate<float>(rows * cols)
                    let fused = Array.zeroCreate<float>(rows * cols)
                    let y = Array.zeroCreate<float>(rows * cols)
                    Layer.fillDropoutMask 0.25 (Random 11) rows cols alone
                    Layer.fillDropoutMaskWith 0.25 (Random 11) rows cols fused x y
                    Expect.sequenceEqual fused alone "the same mask"
                    Expect.sequenceEqual y (Array.map2 (*) x alone) "the product"

                    for c in [ 0; cols - 1 ] do
                        let dropped =
                            alone[c * rows .. (c + 1) * rows - 1] |> Array.filter ((=) 0.0) |> Array.length

                        let rate = float dropped / float rows
                        Expect.isTrue (rate > 0.22 && rate < 0.28) $"column {c}: {rate} dropped, expected about 0.25")

            testCase "the same seed builds the same model" (fun () ->
                let a = Sequential.create<float32> (Random 3) 5 mlp
                let b = Sequential.create<float32> (Random 3) 5 mlp

                Array.iter2
                    (fun (n, p: Node<float32>) (_, q: Node<float32>) -> Expect.isTrue (p.Value.Equals q.Value) n)
                    (Sequential.parameters a)
                    (Sequential.parameters b))

            testCase "loading parameters checks every name and shape" (fun () ->
                let values = Dictionary<string, Matrix<float>>()
                values["0.weight"] <- Matrix<float>.Build.Dense(4, 5)

                let missing =
                    Expect.throwsExactly<ArgumentException>(fun () ->
                        Sequential.ofParameters 5 [| LayerSpec.Dense(4, Zeros, Zeros) |] values
                        |> ignore)

                Expect.stringContains missing.Message "0.bias" "the missing parameter is named"
                values["0.bias"] <- Matrix<float>.Build.Dense(1, 3)

                let wrong =
                    Expect.throwsExactly<ShapeMismatchException>(fun () ->
                        Sequential.ofParameters 5 [| LayerSpec.Dense(4, Zeros, Zeros) |] values
                        |> ignore)

                Expect.stringContains wrong.Message "0.bias" "the misshapen parameter is named")

            testCase "a batch of the wrong width names the model's input size" (fun () ->
                let model = Sequential.create<float> (Random 1) 5 mlp

                let e =
                    Expect.throwsExactly<ShapeMismatchException>(fun () ->
                        Sequential.evaluate model (Matrix<float>.Build.Dense(2, 6)) |> ignore)

                Expect.stringContains e.Message "5 features" "the model's input size")

            testCase "a 2-2-1 sigmoid network learns XOR with plain SGD" (fun () ->
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

                Expect.equal classes [| 0.0; 1.0; 1.0; 0.0 |] "XOR")
        ]
