module Hybrid.Core.Tests.ModelTests

open System
open System.Collections.Generic
open Expecto
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core

let private mlp =
    [|
        Dense(4, GlorotUniform, Zeros)
        Activation ReLU
        Dropout 0.5
        Dense(3, GlorotUniform, Zeros)
    |]

[<Tests>]
let tests =
    testList
        "Model"
        [
            testCase "parameters carry PyTorch's nn.Sequential names and layouts" (fun () ->
                let model = Model.create<float32> (Random 1) 5 mlp

                let names =
                    Model.parameters model
                    |> Array.map (fun (n, p) -> n, p.Shape.Rows, p.Shape.Cols)

                Expect.equal
                    names
                    [| "0.weight", 4, 5; "0.bias", 1, 4; "3.weight", 3, 4; "3.bias", 1, 3 |]
                    "names and shapes"

                Expect.equal (Model.outputs model) 3 "outputs"
                Expect.equal (Model.parameterCount model) (4 * 5 + 4 + 3 * 4 + 3) "parameter count")

            testCase "a dense layer computes x·Wᵀ + b" (fun () ->
                let model =
                    Model.create<float> (Random 1) 5 [| Dense(4, GlorotUniform, GlorotUniform) |]

                let parameters = Model.parameters model
                let w, b = (snd parameters[0]).Value, (snd parameters[1]).Value
                let x = Matrix<float>.Build.Random(3, 5, 42)
                let expected = x * w.Transpose() + Tensor.broadcastTo (Shape.create 3 4) b
                let actual = Training.evaluate model x
                Expect.isTrue ((actual - expected).FrobeniusNorm() < 1e-12) "x·Wᵀ + b")

            testCase "dropout zeroes about its rate in training, scales the rest, and is off in evaluation" (fun () ->
                let model = Model.create<float> (Random 1) 1000 [| Dropout 0.3 |]
                let x = Graph.constant (Tensor.ones<float>(Shape.create 10 1000))
                let trained = Model.forward { Mode = Training; Random = Random 5 } model x
                let zeros = trained.Value.Enumerate() |> Seq.filter ((=) 0.0) |> Seq.length
                let rate = float zeros / 10000.0
                Expect.isTrue (rate >= 0.28 && rate <= 0.32) $"{rate} of the inputs dropped, expected 0.28 to 0.32"

                Expect.isTrue
                    (trained.Value.Enumerate()
                     |> Seq.forall (fun v -> v = 0.0 || abs (v - 1.0 / 0.7) < 1e-12))
                    "the rest scaled by 1/0.7"

                let evaluated = Model.forward { Mode = Evaluation; Random = Random 5 } model x
                Expect.isTrue (evaluated.Value.Equals(x.Value)) "off in evaluation")

            testCase "the same seed builds the same model" (fun () ->
                let a = Model.create<float32> (Random 3) 5 mlp
                let b = Model.create<float32> (Random 3) 5 mlp

                Array.iter2
                    (fun (n, p: Node<float32>) (_, q: Node<float32>) -> Expect.isTrue (p.Value.Equals q.Value) n)
                    (Model.parameters a)
                    (Model.parameters b))

            testCase "loading parameters checks every name and shape" (fun () ->
                let values = Dictionary<string, Matrix<float>>()
                values["0.weight"] <- Matrix<float>.Build.Dense(4, 5)

                let missing =
                    Expect.throwsExactly<ArgumentException>(fun () ->
                        Model.ofParameters 5 [| Dense(4, Zeros, Zeros) |] values |> ignore)

                Expect.stringContains missing.Message "0.bias" "the missing parameter is named"
                values["0.bias"] <- Matrix<float>.Build.Dense(1, 3)

                let wrong =
                    Expect.throwsExactly<ShapeMismatchException>(fun () ->
                        Model.ofParameters 5 [| Dense(4, Zeros, Zeros) |] values |> ignore)

                Expect.stringContains wrong.Message "0.bias" "the misshapen parameter is named")

            testCase "a batch of the wrong width names the model's input size" (fun () ->
                let model = Model.create<float> (Random 1) 5 mlp

                let e =
                    Expect.throwsExactly<ShapeMismatchException>(fun () ->
                        Training.evaluate model (Matrix<float>.Build.Dense(2, 6)) |> ignore)

                Expect.stringContains e.Message "5 features" "the model's input size")

            testCase "a 2-2-1 sigmoid network learns XOR with plain SGD" (fun () ->
                let x =
                    Tensor.ofRows<float> [| [| 0.0; 0.0 |]; [| 0.0; 1.0 |]; [| 1.0; 0.0 |]; [| 1.0; 1.0 |] |]

                let y = Tensor.ofRows<float> [| [| 0.0 |]; [| 1.0 |]; [| 1.0 |]; [| 0.0 |] |]

                let model =
                    Model.create<float>
                        (Random 0)
                        2
                        [|
                            Dense(2, GlorotUniform, Zeros)
                            Activation Sigmoid
                            Dense(1, GlorotUniform, Zeros)
                            Activation Sigmoid
                        |]

                let optimizer =
                    OptimizerState(Optimizer.sgd 2.0, Model.parameters model |> Array.map snd)

                let rng = Random 0

                for _ in 1..5000 do
                    Training.step model MeanSquaredError optimizer None 2.0 rng x y
                    |> ignore<struct (float * _)>

                let out = Training.evaluate model x

                let classes =
                    out.Column(0).ToArray() |> Array.map (fun p -> if p > 0.5 then 1.0 else 0.0)

                Expect.equal classes [| 0.0; 1.0; 1.0; 0.0 |] "XOR")
        ]
