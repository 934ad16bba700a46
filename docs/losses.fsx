(**
---
title: Losses and costs
category: The course
categoryindex: 2
index: 4
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Losses and costs
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

Training minimises one number. The **loss** $\ell(\hat y_i, y_i)$ says how wrong the prediction for one sample
is; the **cost** $J$ is the mean of the losses over a batch (or the whole training set), and it is $J$ whose gradient
the optimizer follows. Hybrid's `Objectives` are costs: each returns the mean over the batch, as PyTorch's losses
do by default (`reduction='mean'`). This page defines the three in use, derives their gradients, checks them against
`Graph.grad`, and shows why classification uses cross-entropy rather than squared error.

## Mean squared error (regression)

For predictions $\hat Y$ and targets $Y$, both $n \times k$, the mean over all $nk$ elements:

$$
J_{\text{MSE}} = \frac{1}{nk} \sum_{i,c} (\hat Y_{ic} - Y_{ic})^2,
\qquad
\frac{\partial J_{\text{MSE}}}{\partial \hat Y} = \frac{2}{nk} (\hat Y - Y).
$$

## Binary cross-entropy (two classes)

With one output unit and $\hat y = \sigma(z) = 1 / (1 + e^{-z})$, the probability of class 1, the cost is the
negative log-likelihood of the labels $y_i \in \{0, 1\}$:

$$
J_{\text{BCE}} = -\frac{1}{n} \sum_i \big( y_i \ln \hat y_i + (1 - y_i) \ln (1 - \hat y_i) \big).
$$

Since $\sigma'(z) = \sigma(z)(1 - \sigma(z))$, the derivative with respect to the logit is short:

$$
\frac{\partial \ell}{\partial \hat y} = \frac{\hat y - y}{\hat y (1 - \hat y)}
\quad\Longrightarrow\quad
\frac{\partial J_{\text{BCE}}}{\partial z_i} = \frac{1}{n} (\hat y_i - y_i).
$$

## Softmax cross-entropy (k classes)

With $k$ logits per sample, $P = \operatorname{softmax}(Z)$ row by row ($P_{ic} = e^{Z_{ic}} / \sum_j e^{Z_{ij}}$)
and one-hot targets:

$$
J_{\text{CE}} = -\frac{1}{n} \sum_{i,c} Y_{ic} \ln P_{ic},
\qquad
\frac{\partial J_{\text{CE}}}{\partial Z} = \frac{1}{n} (P - Y),
$$

derived on the [backpropagation](backpropagation.html) page. `Objectives.crossEntropyWithLogits` computes it in one
fused node from the logits, with $\ln P = Z - \max Z - \ln \sum e^{Z - \max Z}$, so it stays finite for any $Z$.

## The three gradients against the graph
*)
open MathNet.Numerics.LinearAlgebra
open MathNet.Numerics.Distributions
open Hybrid.Core
open Hybrid.Charts

let random rows cols seed =
    Matrix<float>.Build.Random(rows, cols, Normal(0.0, 1.0, System.Random(seed: int)))

let n, k = 6, 3
let Z = random n k 1

let Yhot =
    Matrix<float>.Build.Dense(n, k, fun i c -> if i % k = c then 1.0 else 0.0)

let y01 = Matrix<float>.Build.Dense(n, 1, fun i _ -> float (i % 2))
let z1 = random n 1 2
let sigmoid (z: Matrix<float>) = z.Map(fun v -> 1.0 / (1.0 + exp -v))

let softmaxRows (z: Matrix<float>) =
    Matrix<float>
        .Build.DenseOfRowVectors(
            [
                for i in 0 .. z.RowCount - 1 ->
                    let e = z.Row(i).Subtract(z.Row(i).Maximum()).PointwiseExp()
                    e / e.Sum()
            ]
        )

/// The graph's gradient of a cost with respect to its first argument.
let graphGradient cost (at: Matrix<float>) (target: Matrix<float>) =
    let v = Graph.variable "x" at
    (Graph.grad [ v ] (cost v (Graph.constant target)))[0]

let mseByHand = 2.0 / float (n * k) * (Z - Yhot)
let bceByHand = (sigmoid z1 - y01) / float n
let ceByHand = (softmaxRows Z - Yhot) / float n

let checks =
    [
        Check.close
            "MSE: 2(Ŷ − Y)/nk"
            1e-12
            (graphGradient Objectives.meanSquaredError Z Yhot)
            mseByHand
        Check.close
            "BCE: (σ(z) − y)/n"
            1e-12
            (graphGradient
                (fun z t -> Objectives.binaryCrossEntropy (Activations.sigmoid z) t)
                z1
                y01)
            bceByHand
        Check.close
            "CE: (P − Y)/n"
            1e-12
            (graphGradient Objectives.crossEntropyWithLogits Z Yhot)
            ceByHand
    ]

for c in checks do
    printfn "%O" (Check.orFail c)
(*** include-output ***)
(**
## Why cross-entropy for classification

Squared error works on probabilities too, so why not use it? Look at one sample of class 1 whose logit is $z$.
With squared error on $\hat y = \sigma(z)$, the gradient reaching the logit is
$2(\hat y - 1)\,\hat y (1 - \hat y)$: when the network is confidently *wrong* ($z \ll 0$, $\hat y \approx 0$),
the factor $\hat y$ makes it vanish, and learning stalls exactly where it is needed most. Cross-entropy cancels
that factor: its gradient is $\hat y - 1 \approx -1$, as large as it can be. The graph computes both:
*)
let zs = [ for i in 0..80 -> -8.0 + 0.2 * float i ]

let lossAndSlope (cost: Node<float> -> Node<float> -> Node<float>) (z: float) =
    let v = Graph.variable "z" (Matrix<float>.Build.Dense(1, 1, z))

    let loss =
        cost
            (Activations.sigmoid v)
            (Graph.constant (Matrix<float>.Build.Dense(1, 1, 1.0)))

    let gradient = Graph.grad [ v ] loss
    loss.Value[0, 0], gradient[0][0, 0]

let squared = [ for z in zs -> lossAndSlope Objectives.meanSquaredError z ]
let crossEntropy = [ for z in zs -> lossAndSlope Objectives.binaryCrossEntropy z ]
(*** hide ***)
let series name (values: float list) =
    Series(name, List.toArray zs, List.toArray values)

let lossChart =
    Chart
        .Lines(
            [
                series "squared error" (List.map fst squared)
                series "cross-entropy" (List.map fst crossEntropy)
            ],
            xTitle = "logit z of a sample of class 1",
            yTitle = "loss ℓ"
        )
        .WithTitle("The loss")
        .WithSize(300, 220)

let slopeChart =
    Chart
        .Lines(
            [
                series "squared error" (List.map (snd >> abs) squared)
                series "cross-entropy" (List.map (snd >> abs) crossEntropy)
            ],
            xTitle = "logit z of a sample of class 1",
            yTitle = "|∂ℓ/∂z|"
        )
        .WithTitle("The gradient reaching z")
        .WithSize(300, 220)

Chart
    .Grid([ lossChart; slopeChart ])
    .ToHtml(
        "loss-gradients",
        "A sample of class 1: squared error on σ(z) flattens when the network is confidently wrong (z ≪ 0); "
        + "cross-entropy does not."
    )
(*** include-it-raw ***)
(**
At $z = -8$ the gradients differ by three orders of magnitude:
*)
printfn
    "z = -8: |∂ℓ/∂z| is %.5f with squared error, %.5f with cross-entropy"
    (abs (snd squared.Head))
    (abs (snd crossEntropy.Head))
(*** include-output ***)
(**
Cross-entropy is also what maximum likelihood asks for: $J_{\text{CE}}$ is the mean negative log-probability the
model gives the right labels, so minimising it makes the data as probable as the model can.

## Exercise: the gradient of a weighted squared error

<section class="exercise">

A regression where each sample $i$ carries a weight $s_i > 0$:
$J = \frac{1}{n} \sum_i s_i (\hat y_i - y_i)^2$ for a column $\hat y$ of $n$ predictions. Write
$\partial J / \partial \hat y$ as a matrix expression and have `Check.gradient` grade it. An answer that forgot the
weights is refused:

</section>
*)
let yhat, target = random 5 1 3, random 5 1 4
let weights = Matrix<float>.Build.Dense(5, 1, fun i _ -> 1.0 + float i)

let weightedCost (p: Matrix<float>[]) =
    let e = p[0] - target
    Seq.sum (weights.PointwiseMultiply(e.PointwiseMultiply e).Enumerate()) / 5.0

printfn
    "%O"
    (Check.gradient
        "weighted MSE"
        weightedCost
        [| yhat |]
        [| 2.0 / 5.0 * (yhat - target) |])
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

$\partial J / \partial \hat y = \frac{2}{n}\, s \odot (\hat y - y)$.
*)
let answer = 2.0 / 5.0 * weights.PointwiseMultiply(yhat - target)

printfn
    "%O"
    (Check.gradient "weighted MSE" weightedCost [| yhat |] [| answer |]
     |> Check.orFail)
(*** include-output ***)
(**
</details>

Next: [Backpropagation](backpropagation.html) carries these gradients back through the layers.
*)
