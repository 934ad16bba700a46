(**
---
title: Logistic regression as a graph
category: The course
categoryindex: 2
index: 3
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Logistic regression as a computational graph
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

Logistic regression is the smallest model trained the way every network is: a forward pass, a loss, gradients by
the backward pass, a gradient-descent step. For inputs X (one sample per row), weights w and bias b,

ŷ = σ(Xw + b),  L = −(1/n) Σ [y log ŷ + (1 − y) log(1 − ŷ)].

## The data

Two clouds of points in the plane, 100 per class:
*)
open System
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Charts

let rng = Random 7

let gaussian () =
    sqrt (-2.0 * log (1.0 - rng.NextDouble()))
    * cos (2.0 * Math.PI * rng.NextDouble())

let n = 200
let labels = Array.init n (fun i -> i % 2)

let X =
    Matrix<float>.Build.Dense(n, 2, fun i j ->
        (if labels[i] = 1 then 1.0 else -1.0) + 0.9 * gaussian ())

let Y = Matrix<float>.Build.Dense(n, 1, fun i _ -> float labels[i])
(**
## The model as a graph

Parameters are graph variables; data are constants. The loss is built from Hybrid's ops: a matrix product, a bias
broadcast over the rows, and the cross-entropy on the logits (σ is folded into the loss, which keeps it finite for
large logits):
*)
let loss (w: Node<float>) (b: Node<float>) =
    let logits = Linalg.addRowVector (Linalg.matmul (Graph.constant X) w) b
    Objectives.binaryCrossEntropyWithLogits logits (Graph.constant Y)
(**
One forward pass from zero weights, kept to be drawn (big matrices are shown by their shape and range):
*)
let w0 = Graph.variable "w" (Matrix<float>.Build.Dense(2, 1))
let b0 = Graph.variable "b" (Matrix<float>.Build.Dense(1, 1))
let first = loss w0 b0
Graph.backwardWith true (Tensor.ones Shape.scalar) first
(*** hide ***)
Figure.Html(
    "logistic-graph",
    Drawing.Graphviz(Dot.ofNode first),
    "The loss of logistic regression as a graph, after one backward pass: values and gradients per node."
)
(*** include-it-raw ***)
(**
The loss at zero weights is log 2 ≈ 0.693 (every prediction is ½), and the gradient with respect to w is
Xᵀ(ŷ − y)/n: what the graph computed from the local derivatives of `matmul`, `addRowVector` and the loss.

## Gradient descent

The optimizers step the parameters of any graph, as `torch.optim` steps `model.parameters()`: `OptimizerState` holds
them (and, for momentum or Adam, their state). Each step clears the gradients, builds the loss, runs backward and
moves every parameter against its gradient, here by plain SGD (p ← p − 0.5·g):
*)
let train steps (eta: float) =
    let w = Graph.variable "w" (Matrix<float>.Build.Dense(2, 1))
    let b = Graph.variable "b" (Matrix<float>.Build.Dense(1, 1))
    let optimizer = OptimizerState(OptimizerSpec.sgd eta, [| w; b |])
    let losses = ResizeArray<float>()

    for _ in 1..steps do
        optimizer.ZeroGrad()
        let l = loss w b
        losses.Add l.Value[0, 0]
        Graph.backward l
        optimizer.Step()

    w.Value, b.Value, losses.ToArray()

let w, b, losses = train 100 0.5
(*** hide ***)
Chart
    .Lines([ Series.Of("training loss", losses) ], "step", "binary cross-entropy")
    .WithSize(420, 240)
    .ToHtml("logistic-loss", "The loss per gradient-descent step (learning rate 0.5, full batch).")
(*** include-it-raw ***)
(**
The weights it found, and the accuracy on the training points:
*)
let accuracy =
    let z = X * w + Matrix<float>.Build.Dense(n, 1, b[0, 0])

    float (
        Seq.sum
            [ for i in 0 .. n - 1 -> if (z[i, 0] > 0.0) = (labels[i] = 1) then 1 else 0 ]
    )
    / float n

printfn $"w = [%.3f{w[0, 0]}, %.3f{w[1, 0]}], b = %.3f{b[0, 0]}"
printfn $"accuracy %.1f{100.0 * accuracy}%%"
(*** include-output ***)
(**
The decision boundary is the line where Xw + b = 0, and the model's probability falls off across it:
*)
(*** hide ***)
let probability (a: float) (c: float) =
    1.0 / (1.0 + exp (-(a * w[0, 0] + c * w[1, 0] + b[0, 0])))

Chart
    .Layer(
        Chart.Field(Func<_, _, _>(probability), -4.0, 4.0, -4.0, 4.0, 50, "P(class 1)"),
        Chart.Points(X.Column(0).ToArray(), X.Column(1).ToArray(), [| for l in labels -> $"class {l}" |], "x₁", "x₂")
    )
    .WithSize(360, 360)
    .ToHtml("logistic-boundary", "The trained model's probability of class 1 over the plane, with the training points.")
(*** include-it-raw ***)
(**
A straight line is all logistic regression can draw. The [next page](hidden-layer.html) adds a hidden layer and
watches it bend the data until a line is enough.
*)
(**
## Exercise: the probability of one point

<section class="exercise">

With the trained $w$ and $b$, the model gives a point $x$ the probability $\sigma(x w + b)$ of class 1. Compute it
for the point $(0.5, -0.25)$ and have `Check.value` compare it with the same point pushed through the model's
graph. Forgetting the bias is refused:

</section>
*)
let point = Matrix<float>.Build.DenseOfRowArrays([| [| 0.5; -0.25 |] |])
let throughTheGraph =
    let z = Linalg.matmul (Graph.constant point) (Graph.constant w)
    (Activations.sigmoid (Linalg.addRowVector z (Graph.constant b))).Value[0, 0]
let sigmoidOf (z: float) = 1.0 / (1.0 + exp -z)
let withoutBias = sigmoidOf ((point * w)[0, 0])
printfn "%O" (Check.value "σ(xw + b)" 1e-12 throughTheGraph withoutBias)
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>
*)
let ofThePoint = sigmoidOf ((point * w)[0, 0] + b[0, 0])
printfn "%O" (Check.value "σ(xw + b)" 1e-12 throughTheGraph ofThePoint |> Check.orFail)
(*** include-output ***)
(**
</details>
*)
