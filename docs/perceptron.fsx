(**
---
title: Perceptron and XOR
category: The course
categoryindex: 2
index: 2
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# The perceptron, and why XOR needs a hidden layer
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

Rosenblatt's perceptron (1958) is one neuron with a hard threshold: it outputs 1 when $w \cdot x + b \ge 0$ and
0 otherwise (Hybrid's `Activations.step` is 1 at 0). Its decision boundary, $w \cdot x + b = 0$, is a straight
line. It learns by a simple rule: for each example it gets wrong,
move the weights towards the right answer,

$$
w \leftarrow w + \eta\, (y - \hat y)\, x, \qquad b \leftarrow b + \eta\, (y - \hat y).
$$

When the two classes can be separated by a line, the rule finds one in a finite number of steps (the perceptron
convergence theorem). When they cannot, it never settles.

## The perceptron in a few lines

The forward pass uses Hybrid's ops on whole batches: a matrix product, a bias, and the step function. The update is
the rule above.
*)
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Data
open Hybrid.Charts

// Outputs 0 or 1 for each row of x: step(x·wᵀ + b).
let perceive (w: Matrix<float>) (b: Matrix<float>) (x: Matrix<float>) =
    let z =
        Linalg.addRowVector
            (Linalg.matmulWith false true (Graph.constant x) (Graph.constant w))
            (Graph.constant b)

    (Activations.step z).Value

// Rosenblatt's rule, one example at a time; returns the weights, bias and mistakes per
// epoch.
let trainPerceptron (data: Dataset) epochs (eta: float) =
    let x = data.Features().Map(float)
    let y = data.Labels
    let w = Matrix<float>.Build.Dense(1, 2)
    // A start of −0.1, not 0: with η = 0.5 and inputs 0 or 1, w·x + b is then −0.1 plus
    // a multiple of 0.5, never exactly 0, so the boundary cannot pass through a training
    // point (where ≥ would decide it).
    let b = Matrix<float>.Build.Dense(1, 1, -0.1)
    let mistakes = ResizeArray<float>()

    for _ in 1..epochs do
        let mutable wrong = 0

        for i in 0 .. data.Count - 1 do
            let row = x.SubMatrix(i, 1, 0, 2)
            let error = float y[i] - (perceive w b row)[0, 0]

            if error <> 0.0 then
                wrong <- wrong + 1
                w.SetSubMatrix(0, 0, w + eta * error * row)
                b[0, 0] <- b[0, 0] + eta * error

        mistakes.Add(float wrong)

    w, b, mistakes.ToArray()

let tables = [ "AND", ToyData.And(); "OR", ToyData.Or(); "XOR", ToyData.Xor() ]

let trained =
    [ for name, data in tables -> name, data, trainPerceptron data 12 0.5 ]
(**
The mistakes per epoch tell the story: AND and OR reach zero within a few epochs and stay there; XOR never does.
*)
(*** hide ***)
Chart
    .Lines([ for name, _, (_, _, mistakes) in trained -> Series.Of(name, mistakes) ], "epoch", "mistakes in the epoch")
    .WithSize(420, 220)
    .ToHtml("perceptron-errors", "Mistakes per epoch of the perceptron on the three truth tables.")
(*** include-it-raw ***)
(**
Drawn over the plane, the perceptron's output (orange for 1, blue for 0, like the points of the two classes) shows why: one line can put (1, 1) alone
(AND) or (0, 0) alone (OR), but no line puts (0, 1) and (1, 0) on one side and (0, 0) and (1, 1) on the other.
*)
let points (data: Dataset) =
    let x = data.Features()

    Chart.Points(
        [| for i in 0 .. data.Count - 1 -> float x[i, 0] |],
        [| for i in 0 .. data.Count - 1 -> float x[i, 1] |],
        [| for l in data.Labels -> $"class {l}" |],
        "x₁",
        "x₂"
    )

let boundary (f: float -> float -> float) (data: Dataset) title =
    Chart
        .Layer(Chart.Field((fun a b -> f a b), -0.5, 1.5, -0.5, 1.5, 40), points data)
        .WithTitle(title)
        .WithSize(170, 170)

let perceptronCharts =
    [
        for name, data, (w, b, _) in trained ->
            let f a c =
                let point = Matrix<float>.Build.DenseOfRowArrays([| [| a; c |] |])
                (perceive w b point)[0, 0]

            boundary f data name
    ]
(*** hide ***)
Chart
    .Grid(perceptronCharts, columns = 3)
    .ToHtml("perceptron-boundaries", "The trained perceptron's output on AND, OR and XOR, with the four cases.")
(*** include-it-raw ***)
(**
## A hidden layer solves XOR

Put two or more neurons between the input and the output, with a smooth activation so that gradients exist, and
train by gradient descent. Each hidden unit draws its own line; the output unit combines them, and the region it
calls 1 no longer has to be a half-plane. With the C# façade, from F#:
*)
open Hybrid

let xorNet =
    Network
        .Sequential(2)
        .Dense(4, Activation.Tanh)
        .Dense(1, Activation.Sigmoid)
        .Compile(Loss.BinaryCrossEntropy, Optimizer.Adam 0.05, seed = 3)

let xorHistory = xorNet.Fit(ToyData.Xor(), epochs = 400, batchSize = 4)
let xorOutputs = xorNet.Predict(ToyData.Xor()).Probabilities
(*** hide ***)
Hybrid.Examples.Course.Table(
    [| "x₁"; "x₂"; "P(class 1)" |],
    [
        for i, (a, b) in List.indexed [ 0, 0; 0, 1; 1, 0; 1, 1 ] ->
            [| $"{a}"; $"{b}"; $"{float xorOutputs[i, 0]:F4}" |]
    ]
)
(*** include-it-raw ***)
(**
All four cases are now right (probabilities near 0, 1, 1, 0), and the decision region bends around the two
class-1 points:
*)
(*** hide ***)
boundary
    (fun a b ->
        float (
            xorNet.Predict(Matrix<float32>.Build.DenseOfRowArrays([| [| float32 a; float32 b |] |])).Probabilities[0, 0]
        ))
    (ToyData.Xor())
    "XOR, 2-4-1 network"
|> fun chart ->
    chart
        .WithSize(300, 300)
        .ToHtml("xor-hidden-boundary", "Output probability of the 2-4-1 tanh network trained on XOR.")
(*** include-it-raw ***)
(**
## The same network, written out

`Compile` and `Fit` hide the loop. Written by hand, the 2-4-1 network is four parameters and a few ops on
`Variable`s, and the optimizer steps the parameters of that graph as `torch.optim` does: `Optimizer.Adam(0.05).For`
binds Adam to them (with its moment estimates per parameter), and each step is `ZeroGrad`, backward, `Step`.
*)
open Hybrid.Autograd

let rows (values: float[][]) =
    Matrix<float>.Build.DenseOfRowArrays values

let xorX =
    [| [| 0.0; 0.0 |]; [| 0.0; 1.0 |]; [| 1.0; 0.0 |]; [| 1.0; 1.0 |] |]
    |> rows
    |> Variable.Constant

let xorY = Variable.Constant(rows [| [| 0.0 |]; [| 1.0 |]; [| 1.0 |]; [| 0.0 |] |])

let draw = System.Random 3

let init r c =
    Matrix<float>.Build.Dense(r, c, fun _ _ -> draw.NextDouble() * 2.0 - 1.0)

let zeros r c = Matrix<float>.Build.Dense(r, c)

let w1, b1 =
    Variable.Parameter(init 2 4, "w1"), Variable.Parameter(zeros 1 4, "b1")

let w2, b2 =
    Variable.Parameter(init 4 1, "w2"), Variable.Parameter(zeros 1 1, "b2")

let adam = Optimizer.Adam(0.05).For([ w1; b1; w2; b2 ])

let forward () =
    (xorX.MatMul(w1).AddRowVector(b1).Tanh()).MatMul(w2).AddRowVector(b2)

let handLosses =
    [|
        for _ in 1..400 do
            adam.ZeroGrad()
            let loss = Losses.BinaryCrossEntropyWithLogits(forward (), xorY)
            loss.Backward()
            adam.Step()
            loss.Value[0, 0]
    |]

let handOutputs = forward().Sigmoid().Value
let lastLoss = handLosses[handLosses.Length - 1]
printfn $"loss %.3f{handLosses[0]} at the first step, %.4f{lastLoss} at step 400"
(*** include-output ***)
(*** hide ***)
Hybrid.Examples.Course.Table(
    [| "x₁"; "x₂"; "output" |],
    [
        for i, (a, b) in List.indexed [ 0, 0; 0, 1; 1, 0; 1, 1 ] ->
            [| $"{a}"; $"{b}"; $"{float handOutputs[i, 0]:F4}" |]
    ]
)
(*** include-it-raw ***)
(**
The four outputs are again near 0, 1, 1, 0.

## Exercise: a perceptron for NAND

<section class="exercise">

NAND (1 unless both inputs are 1) is separable by a line, so the perceptron rule must learn it. Build its truth
table with `Dataset.FromBinaryLabels`, train `trainPerceptron` on it, and have `Check.accuracy` grade the trained
perceptron on the four cases (target: all four). One epoch is not enough:

</section>
*)
let nand =
    Dataset.FromBinaryLabels(
        Matrix<float32>.Build.DenseOfRowArrays(
            [| [| 0f; 0f |]; [| 0f; 1f |]; [| 1f; 0f |]; [| 1f; 1f |] |]
        ),
        [| 1; 1; 1; 0 |]
    )

let accuracyOf (w, b, _) =
    let out = perceive w b (nand.Features().Map(float))
    [ for i in 0..3 -> if int out[i, 0] = nand.Labels[i] then 1.0 else 0.0 ]
    |> List.average

printfn "%O" (Check.accuracy "NAND" 1.0 (accuracyOf (trainPerceptron nand 1 0.5)))
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

Ten epochs; the rule converges because NAND is linearly separable.
*)
let tenEpochs = trainPerceptron nand 10 0.5
printfn "%O" (Check.accuracy "NAND" 1.0 (accuracyOf tenEpochs) |> Check.orFail)
(*** include-output ***)
(**
</details>

The [next page](logistic-regression.html) opens up how such a network is trained: logistic regression, written as
a computational graph.
*)
