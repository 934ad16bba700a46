(**
---
title: A network drawn from its weights
category: The course
categoryindex: 2
index: 7
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# A network drawn from its weight matrices
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

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
let xorClasses = xorNet.Predict(ToyData.Xor()).Classes
printfn "%s" (String.concat ", " [ for c in xorClasses -> string c ])
(*** include-output ***)
(**
The four cases are classified 0, 1, 1, 0. Its weights, and the drawing made from them:
*)
let weights = [ for p in xorNet.Parameters -> p.Key, p.Value.ToArray() ]
(*** hide ***)
Hybrid.Examples.Course.Table(
    [| "parameter"; "values" |],
    [
        for name, values in weights ->
            let shape = $"{Array2D.length1 values}×{Array2D.length2 values}"
            let numbers = [ for v in Seq.cast<float32> values -> v.ToString("F2") ]
            [| $"{name} ({shape})"; String.concat ", " numbers |]
    ]
)
(*** include-it-raw ***)
(*** hide ***)
Figure.Html(
    "xor-network",
    Drawing.Network(xorNet),
    "The trained 2-2-1 XOR network: blue edges are positive weights, red negative; width and opacity "
    + "follow magnitude; b is each unit's bias."
)
(*** include-it-raw ***)
(**
## The forward pass, worked out from W and b

The drawing shows the weights, but a unit's output depends on its bias just as much: hidden unit $j$ computes
$a_j = \sigma(w_{j1} x_1 + w_{j2} x_2 + b_j)$, and the sign of $w_j \cdot x + b_j$ decides which side of its line
a case falls on. In matrix form, with the samples as rows and Hybrid's $W$ stored outputs × inputs:

$$
A^{(1)} = \sigma\!\left(X W^{(1)\top} + \mathbf{1} b^{(1)}\right), \qquad
\hat y = \sigma\!\left(A^{(1)} W^{(2)\top} + \mathbf{1} b^{(2)}\right).
$$

Written out with the trained parameters, and compared with what the model itself computes:
*)
let ofKind (suffix: string) =
    [|
        for p in xorNet.Parameters do
            if p.Key.EndsWith suffix then
                p.Value.Map(float)
    |]

let W1, W2 = (ofKind ".weight")[0], (ofKind ".weight")[1]
let b1, b2 = (ofKind ".bias")[0], (ofKind ".bias")[1]
let X4 = ToyData.Xor().Features().Map(float)

let sigma (m: MathNet.Numerics.LinearAlgebra.Matrix<float>) =
    m.Map(fun v -> 1.0 / (1.0 + exp -v))

let ones4 = MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.Dense(4, 1, 1.0)
let Z1 = X4 * W1.Transpose() + ones4 * b1
let A1 = sigma Z1
let Z2 = A1 * W2.Transpose() + ones4 * b2
let byHand = sigma Z2
let modelOutput = xorNet.Predict(ToyData.Xor()).Probabilities.Map(float)

Hybrid.Core.Check.close "forward pass by hand" 1e-5 modelOutput byHand
|> Hybrid.Core.Check.orFail
|> printfn "%O"
(*** include-output ***)
(**
Each case through the network: the hidden units' pre-activations $z = w \cdot x + b$ (their sign is the gate),
their outputs, and the output unit's:
*)
let round2 (v: float) = v.ToString("0.00")

Hybrid.Examples.Course.Table(
    [| "x₁, x₂"; "z₁"; "z₂"; "a₁"; "a₂"; "ŷ" |],
    [
        for i in 0..3 ->
            [|
                $"{X4[i, 0]}, {X4[i, 1]}"
                round2 Z1[i, 0]
                round2 Z1[i, 1]
                round2 A1[i, 0]
                round2 A1[i, 1]
                round2 byHand[i, 0]
            |]
    ]
)
(*** include-it-raw ***)
(**
Each hidden unit is a logic gate whose boundary is the line $w_j \cdot x + b_j = 0$ through the square, and the
output unit combines the two gates; the large weights make the sigmoids nearly steps. The edges alone do not
reveal the gates: the biases, written beside the units in the drawing, shift each line, and it is the signs of
the $z$ columns above (weights and bias together) that say which cases each unit turns on.

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

printfn
    "%s"
    ($"784-16-10 after one epoch: test accuracy "
     + $"%.2f{100.0 * small.Evaluate(mnist.Test).Accuracy}%%")
(*** include-output ***)
(*** hide ***)
Figure.Html(
    "mnist-network",
    Drawing.Network(
        small,
        maxEdgesPerLayer = 1500,
        outputLabels = [ for d in 0..9 -> string d ]
    ),
    "784-16-10 on MNIST: the input layer as the 28 × 28 image, the 1,500 strongest input weights, "
    + "every hidden-to-output weight; each output unit is labelled with its digit."
)
(*** include-it-raw ***)
(**
The strong input weights gather in the middle of the image, where the digits are; the border pixels, always
blank, have nothing to say. On the right, each of the ten output units is wired to the hidden units that vote for
or against its digit.
*)
(**
## Exercise: one hidden unit's gate

<section class="exercise">

Which of the four XOR cases turn hidden unit 1 on ($z_1 = w_1 \cdot x + b_1 > 0$)? Answer with a column of four 0s
and 1s and have `Check.close` compare it with the model's own pre-activations. Judging by the edges alone, as if
the bias were 0, is refused:

</section>
*)
let unitOn =
    Z1.Column(0).Map(fun z -> if z > 0.0 then 1.0 else 0.0).ToColumnMatrix()

let edgesOnly =
    (X4 * W1.Transpose()).Column(0).Map(fun z -> if z > 0.0 then 1.0 else 0.0)

Hybrid.Core.Check.close "unit 1's gate" 0.0 unitOn (edgesOnly.ToColumnMatrix())
|> printfn "%O"
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

The sign of each row of $X W^{(1)\top} + \mathbf{1} b^{(1)}$, column 1: the bias moves the line.
*)
let gate =
    (X4 * W1.Transpose() + ones4 * b1)
        .Column(0)
        .Map(fun z -> if z > 0.0 then 1.0 else 0.0)

Hybrid.Core.Check.close "unit 1's gate" 0.0 unitOn (gate.ToColumnMatrix())
|> Hybrid.Core.Check.orFail
|> printfn "%O"
(*** include-output ***)
(**
</details>
*)
