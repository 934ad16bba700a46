(**
---
title: Backpropagation
category: The course
categoryindex: 2
index: 5
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Backpropagation, derived
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

[The computational graph](graph.html) showed the chain rule on scalars. A network works on whole batches: the
input is a matrix $X$ with one sample per row, and every layer is a matrix product. This page derives the
backward pass of a two-layer classifier in that convention, the **δ rules**, and then checks every equation
numerically against what `Graph.grad` computes for the same network.

## The network

A batch of $n$ samples with $d$ features, a hidden layer of $h$ tanh units, $k$ classes, softmax cross-entropy:

$$
\begin{aligned}
Z^{(1)} &= X W^{(1)} + \mathbf{1} b^{(1)}, & A^{(1)} &= \tanh Z^{(1)}, \\
Z^{(2)} &= A^{(1)} W^{(2)} + \mathbf{1} b^{(2)}, & P &= \operatorname{softmax}(Z^{(2)}) \text{ (row by row)}, \\
J &= -\frac{1}{n} \sum_{i=1}^{n} \sum_{c=1}^{k} Y_{ic} \ln P_{ic}.
\end{aligned}
$$

The shapes: $X$ is $n \times d$, $W^{(1)}$ is $d \times h$, $b^{(1)}$ is $1 \times h$, $Z^{(1)}$ and $A^{(1)}$ are
$n \times h$, $W^{(2)}$ is $h \times k$, $Z^{(2)}$, $P$ and $Y$ are $n \times k$.

## Step 1: the output error

Write $\delta^{(2)} = \partial J / \partial Z^{(2)}$. For one row, $\ell = -\sum_c y_c \ln p_c$ with
$p_c = e^{z_c} / \sum_j e^{z_j}$, so $\ln p_c = z_c - \ln \sum_j e^{z_j}$ and

$$
\frac{\partial \ell}{\partial z_j} = -y_j + \Big(\sum_c y_c\Big) \frac{e^{z_j}}{\sum_m e^{z_m}} = p_j - y_j
\quad\text{(the } y_c \text{ of a one-hot row sum to 1)}.
$$

$J$ averages $n$ rows, so each row's error is divided by $n$:

$$
\delta^{(2)} = \frac{1}{n} \left( P - Y \right).
$$

## Step 2: through a matrix product

Take $Z = A W$ and suppose $\delta = \partial J / \partial Z$ is known. Element by element,
$Z_{ij} = \sum_m A_{im} W_{mj}$, so $W_{mj}$ reaches every $Z_{ij}$ of column $j$, and

$$
\frac{\partial J}{\partial W_{mj}} = \sum_i \delta_{ij} A_{im} = (A^\top \delta)_{mj},
\qquad
\frac{\partial J}{\partial A_{im}} = \sum_j \delta_{ij} W_{mj} = (\delta W^\top)_{im}.
$$

The shapes confirm it: $A^\top \delta$ is $(h \times n)(n \times k) = h \times k$, the shape of $W$; a gradient
always has the shape of what it is the gradient of. The bias is added to every row, so its gradient sums the
rows: $\partial J / \partial b = \mathbf{1}^\top \delta$. For the output layer:

$$
\frac{\partial J}{\partial W^{(2)}} = A^{(1)\top} \delta^{(2)}, \qquad
\frac{\partial J}{\partial b^{(2)}} = \mathbf{1}^\top \delta^{(2)}, \qquad
\frac{\partial J}{\partial A^{(1)}} = \delta^{(2)} W^{(2)\top}.
$$

## Step 3: through the activation

$A^{(1)} = \tanh Z^{(1)}$ acts element by element, so each element's gradient is multiplied by the local slope,
$\tanh' z = 1 - \tanh^2 z$:

$$
\delta^{(1)} = \left( \delta^{(2)} W^{(2)\top} \right) \odot \left( 1 - A^{(1)} \odot A^{(1)} \right),
\qquad
\frac{\partial J}{\partial W^{(1)}} = X^\top \delta^{(1)}, \qquad
\frac{\partial J}{\partial b^{(1)}} = \mathbf{1}^\top \delta^{(1)}.
$$

That is the whole algorithm for any depth: $\delta^{(l)} = (\delta^{(l+1)} W^{(l+1)\top}) \odot f'(Z^{(l)})$,
then $\partial J / \partial W^{(l)} = A^{(l-1)\top} \delta^{(l)}$ and $\partial J / \partial b^{(l)} =
\mathbf{1}^\top \delta^{(l)}$. One backward sweep costs about as much as the forward pass: two matrix products per
layer.

## Checking every equation against the graph

A small batch: $n = 8$ samples, $d = 3$ features, $h = 5$ hidden units, $k = 4$ classes, random weights.
*)
open MathNet.Numerics.LinearAlgebra
open MathNet.Numerics.Distributions
open Hybrid.Core
open Hybrid.Charts

let n, d, h, k = 8, 3, 5, 4

let random rows cols seed =
    Matrix<float>.Build.Random(rows, cols, Normal(0.0, 1.0, System.Random(seed: int)))

let X = random n d 1
let W1, b1 = 0.5 * random d h 2, 0.1 * random 1 h 3
let W2, b2 = 0.5 * random h k 4, 0.1 * random 1 k 5
// One-hot targets: sample i belongs to class i mod k.
let Y = Matrix<float>.Build.Dense(n, k, fun i c -> if i % k = c then 1.0 else 0.0)
(**
The graph computes $J$ from the four parameters with Hybrid's ops, and `Graph.grad` differentiates it:
*)
let cost (p: Node<float>[]) =
    let z1 = Linalg.addRowVector (Linalg.matmul (Graph.constant X) p[0]) p[1]
    let a1 = Activations.tanh z1
    let z2 = Linalg.addRowVector (Linalg.matmul a1 p[2]) p[3]
    Objectives.crossEntropyWithLogits z2 (Graph.constant Y)

let parameters =
    [| W1; b1; W2; b2 |] |> Array.mapi (fun i m -> Graph.variable $"p{i}" m)

let graphGradients = Graph.grad parameters (cost parameters)
(**
And the δ rules, written out with plain matrix arithmetic (MathNet's `*` is the matrix product,
`PointwiseMultiply` is $\odot$, `ColumnSums` is $\mathbf{1}^\top \cdot$):
*)
let ones rows = Matrix<float>.Build.Dense(rows, 1, 1.0)
let Z1 = X * W1 + ones n * b1
let A1 = Z1.PointwiseTanh()
let Z2 = A1 * W2 + ones n * b2

let P =
    Matrix<float>
        .Build.DenseOfRowVectors(
            [
                for i in 0 .. n - 1 ->
                    let e = Z2.Row(i).Subtract(Z2.Row(i).Maximum()).PointwiseExp()
                    e / e.Sum()
            ]
        )

let delta2 = (P - Y) / float n
let dW2 = A1.Transpose() * delta2
let db2 = delta2.ColumnSums().ToRowMatrix()

let delta1 =
    (delta2 * W2.Transpose()).PointwiseMultiply(1.0 - A1.PointwiseMultiply A1)

let dW1 = X.Transpose() * delta1
let db1 = delta1.ColumnSums().ToRowMatrix()
(**
Each equation against the graph's gradient, graded by `Check.close` (same shape, every element within 1e-12):
*)
let equations =
    [
        "∂J/∂W⁽²⁾ = A⁽¹⁾ᵀ δ⁽²⁾", dW2, graphGradients[2]
        "∂J/∂b⁽²⁾ = 1ᵀ δ⁽²⁾", db2, graphGradients[3]
        "∂J/∂W⁽¹⁾ = Xᵀ δ⁽¹⁾", dW1, graphGradients[0]
        "∂J/∂b⁽¹⁾ = 1ᵀ δ⁽¹⁾", db1, graphGradients[1]
    ]

let verdicts =
    [
        for name, mine, graph in equations ->
            Check.close name 1e-12 graph mine |> Check.orFail
    ]

for v in verdicts do
    printfn "%O" v
(*** include-output ***)
(**
The largest disagreement of each equation, element by element, is at the level of floating-point round-off:
*)
(*** hide ***)
let worst (a: Matrix<float>) (b: Matrix<float>) =
    (a - b).Enumerate() |> Seq.map abs |> Seq.max

let differences = [ for name, mine, graph in equations -> name, worst mine graph ]

Chart
    .Bars(
        [ for name, _ in differences -> name ],
        [ for _, e in differences -> -(log10 (max e 1e-18)) ],
        labelTitle = "equation",
        valueTitle = "digits of agreement, −log₁₀ max |hand − graph|"
    )
    .ToHtml(
        "backprop-differences",
        "Each δ-rule equation against Graph.grad: digits of agreement of the worst element."
    )
(*** include-it-raw ***)
(**
Both sides could share a mistake, so the graph's gradient is itself checked against central finite differences,
$(J(\theta + \epsilon) - J(\theta - \epsilon)) / 2\epsilon$ for each of the 44 parameters:
*)
let byFiniteDifferences =
    Check.gradient
        "δ rules"
        (fun ps -> (cost (Array.map Graph.constant ps)).Value[0, 0])
        [| W1; b1; W2; b2 |]
        [| dW1; db1; dW2; db2 |]
    |> Check.orFail

printfn "%O" byFiniteDifferences
(*** include-output ***)
(**
## Training with the hand-written backward pass

The δ rules are all a training loop needs. Gradient descent, $\theta \leftarrow \theta - \eta\, \partial J / \partial
\theta$, on 200 points of two interleaved spirals, with the gradients from the equations above and, side by side,
from `Graph.grad`: the two costs fall along the same curve.
*)
let spirals = Hybrid.Data.ToyData.Spirals(200, noise = 0.05, seed = 3)
let Xs = spirals.Features().Map(float)

let Ys =
    Matrix<float>
        .Build
        .Dense(spirals.Count, 2, fun i c -> if spirals.Labels[i] = c then 1.0 else 0.0)

/// One step's cost and gradients (W1, b1, W2, b2) by the δ rules.
let byHand (ps: Matrix<float>[]) =
    let m = float Xs.RowCount
    let a1 = (Xs * ps[0] + ones Xs.RowCount * ps[1]).PointwiseTanh()
    let z2 = a1 * ps[2] + ones Xs.RowCount * ps[3]

    let p =
        Matrix<float>
            .Build.DenseOfRowVectors(
                [
                    for i in 0 .. z2.RowCount - 1 ->
                        let e = z2.Row(i).Subtract(z2.Row(i).Maximum()).PointwiseExp()
                        e / e.Sum()
                ]
            )

    let j = -(Ys.PointwiseMultiply(p.PointwiseLog()).Enumerate() |> Seq.sum) / m
    let d2 = (p - Ys) / m
    let d1 = (d2 * ps[2].Transpose()).PointwiseMultiply(1.0 - a1.PointwiseMultiply a1)

    j,
    [|
        Xs.Transpose() * d1
        d1.ColumnSums().ToRowMatrix()
        a1.Transpose() * d2
        d2.ColumnSums().ToRowMatrix()
    |]

/// The same by the graph.
let byGraph (ps: Matrix<float>[]) =
    let vs = ps |> Array.mapi (fun i m -> Graph.variable $"p{i}" m)
    let z1 = Linalg.addRowVector (Linalg.matmul (Graph.constant Xs) vs[0]) vs[1]
    let z2 = Linalg.addRowVector (Linalg.matmul (Activations.tanh z1) vs[2]) vs[3]
    let j = Objectives.crossEntropyWithLogits z2 (Graph.constant Ys)
    j.Value[0, 0], Graph.grad vs j

let descend gradients steps (eta: float) =
    let mutable ps =
        [|
            random 2 16 7
            0.0 * random 1 16 8
            0.5 * random 16 2 9
            0.0 * random 1 2 10
        |]

    [
        for _ in 1..steps ->
            let j, g = gradients ps

            ps <-
                Array.map2
                    (fun (p: Matrix<float>) (gi: Matrix<float>) -> p - eta * gi)
                    ps
                    g

            j
    ]

let handCosts, graphCosts = descend byHand 300 1.0, descend byGraph 300 1.0
(*** hide ***)
Chart
    .Lines(
        [ Series.Of("δ rules by hand", handCosts); Series.Of("Graph.grad", graphCosts) ],
        xTitle = "step",
        yTitle = "cost J"
    )
    .ToHtml(
        "backprop-training",
        "Gradient descent on two spirals: the hand-written δ rules and Graph.grad."
    )
(*** include-it-raw ***)
(**
The largest gap between the two runs' costs over the 300 steps, and the cost at the start and at the end:
*)
let largestGap = List.map2 (fun a b -> abs (a - b)) handCosts graphCosts |> List.max

printfn
    "largest gap %.1e; cost %.4f at step 1, %.4f at step 300"
    largestGap
    handCosts.Head
    (List.last handCosts)
(*** include-output ***)
(**

## Exercise: the backward pass of logistic regression

<section class="exercise">

A one-layer binary classifier: $\hat y = \sigma(X w + \mathbf{1} b)$ with $w$ a $d \times 1$ column and $b$ a
$1 \times 1$ bias, and the cost $J = -\frac{1}{n} \sum_i \big(y_i \ln \hat y_i + (1 - y_i) \ln (1 - \hat y_i)\big)$.
Derive $\partial J / \partial w$ and $\partial J / \partial b$ (hint: as with softmax, $\partial \ell / \partial z_i
= \hat y_i - y_i$), write them as matrix expressions, and have `Check.gradient` grade them. A wrong answer is
refused with what is wrong; here, one that forgot the $\frac{1}{n}$:

</section>
*)
let xe = random 6 3 11
let ye = Matrix<float>.Build.Dense(6, 1, fun i _ -> float (i % 2))
let we, be = random 3 1 12, random 1 1 13

let logisticCost (ps: Matrix<float>[]) =
    let z = xe * ps[0] + ones 6 * ps[1]
    let p = z.Map(fun v -> 1.0 / (1.0 + exp -v))

    let perSample =
        ye.PointwiseMultiply(p.PointwiseLog())
        + (1.0 - ye).PointwiseMultiply((1.0 - p).PointwiseLog())

    -(Seq.sum (perSample.Enumerate())) / 6.0

let sigmoidOf (z: Matrix<float>) = z.Map(fun v -> 1.0 / (1.0 + exp -v))

let forgotTheMean =
    let delta = sigmoidOf (xe * we + ones 6 * be) - ye
    [| xe.Transpose() * delta; delta.ColumnSums().ToRowMatrix() |]

printfn
    "%O"
    (Check.gradient "logistic regression" logisticCost [| we; be |] forgotTheMean)
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

$\delta = \frac{1}{n}(\hat y - y)$ is $n \times 1$; then $\partial J / \partial w = X^\top \delta$ ($d \times 1$)
and $\partial J / \partial b = \mathbf{1}^\top \delta$ ($1 \times 1$).
*)
let solution =
    let delta = (sigmoidOf (xe * we + ones 6 * be) - ye) / 6.0
    [| xe.Transpose() * delta; delta.ColumnSums().ToRowMatrix() |]

printfn
    "%O"
    (Check.gradient "logistic regression" logisticCost [| we; be |] solution
     |> Check.orFail)
(*** include-output ***)
(**
</details>

Next: [Losses and costs](losses.html) defines the costs used here, and why cross-entropy suits classification.
*)
