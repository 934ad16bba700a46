(**
---
title: A network drawn from its weights
category: The course
categoryindex: 2
index: 5
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# A network drawn from its weight matrices

The textbook picture of a network, circles joined by lines, is a drawing of its weight matrices: a dense layer
with weights W (outputs × inputs) is a complete bipartite graph, and W[j, i] is the edge from input i to unit j.
`Drawing.Network` draws a trained model that way: blue edges for positive weights, red for negative, thicker and
darker the larger the weight is relative to the largest in its layer.

## XOR

The 2-2-1 sigmoid network of the course, trained on XOR with plain gradient descent:
*)
open Hybrid
open Hybrid.Data
open Hybrid.Charts

let xorNet =
    Network
        .Sequential(2)
        .Dense(2, Activation.Sigmoid)
        .Dense(1, Activation.Sigmoid)
        .Compile(Loss.BinaryCrossEntropy, Optimizer.Sgd 1.0, seed = 2)

xorNet.Fit(ToyData.Xor(), epochs = 4000, batchSize = 4) |> ignore
let xorClasses = xorNet.Predict(ToyData.Xor()).Classes |> Seq.toList
(*** include-value: xorClasses ***)
(**
The four cases are classified 0, 1, 1, 0. Its weights, and the drawing made from them:
*)
let weights = [ for p in xorNet.Parameters -> p.Key, p.Value.ToArray() ]
(*** include-value: weights ***)
(*** hide ***)
Figure.Html(
    "xor-network",
    Drawing.Network(xorNet),
    "The trained 2-2-1 XOR network: blue edges are positive weights, red negative; width and opacity follow magnitude."
)
(*** include-it-raw ***)
(**
What each unit computes on the four cases (x₁, x₂ → hidden units → output), rounded:
*)
let truthTable =
    let x = ToyData.Xor().Features()
    let outputs = xorNet.LayerOutputs x

    [
        for i in 0..3 ->
            (x[i, 0], x[i, 1]),
            (System.Math.Round(float (outputs[1][i, 0]), 2), System.Math.Round(float (outputs[1][i, 1]), 2)),
            System.Math.Round(float (outputs[3][i, 0]), 2)
    ]
(*** include-value: truthTable ***)
(**
Each hidden unit is a logic gate whose boundary is one line through the square, and the output unit combines the
two gates; the large weights make the sigmoids nearly steps.
Reading the signs and sizes of the edges in the drawing gives the same gates as the table.

## A small MNIST network

784 inputs are too many for a column of circles, so an input layer that is a square image is drawn as the image:
a 28 × 28 grid of neurons. A network 784-16-10 trained for one epoch; only the 1,500 strongest input weights are
drawn, so the lines show which pixels each hidden unit listens to most:
*)
let mnist = Mnist.Load()

let small =
    Network
        .Sequential(784)
        .Dense(16, Activation.ReLU)
        .Dense(10)
        .Compile(Loss.SoftmaxCrossEntropy, Optimizer.Adam 0.001, seed = 1)

small.Fit(mnist.Train, epochs = 1, batchSize = 64) |> ignore
printfn $"784-16-10 after one epoch: test accuracy %.2f{100.0 * small.Evaluate(mnist.Test).Accuracy}%%"
(*** include-output ***)
(*** hide ***)
Figure.Html(
    "mnist-network",
    Drawing.Network(small, maxEdgesPerLayer = 1500),
    "784-16-10 on MNIST: the input layer as the 28 × 28 image, the 1,500 strongest input weights, every hidden-to-output weight."
)
(*** include-it-raw ***)
(**
The strong input weights gather in the middle of the image, where the digits are; the border pixels, always
blank, have nothing to say. On the right, each of the ten output units is wired to the hidden units that vote for
or against its digit.
*)
