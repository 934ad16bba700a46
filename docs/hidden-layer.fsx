(**
---
title: One hidden layer
category: The course
categoryindex: 2
index: 6
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# One hidden layer: bending the data until a line separates it
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

Two concentric circles cannot be told apart by any straight line in the plane. A network with one hidden layer of
three tanh units can: the hidden layer maps each point (x₁, x₂) to (h₁, h₂, h₃) = tanh(W₁x + b₁), and the output
unit draws a *plane* in that three-dimensional space. This page trains such a network and then looks at the data
the way the output unit sees it.
*)
open System
open MathNet.Numerics.LinearAlgebra
open Hybrid
open Hybrid.Data
open Hybrid.Charts

let circles = ToyData.Circles(300, noise = 0.08, factor = 0.5, seed = 1)

let net =
    Network
        .Sequential(2)
        .Dense(3, Activation.Tanh)
        .Dense(1)
        .Compile(Loss.BinaryCrossEntropyWithLogits, Optimizer.Adam 0.05, seed = 1)

let history = net.Fit(circles, epochs = 300, batchSize = 32)
let evaluation = net.Evaluate circles

printfn
    $"2-3-1 tanh network: accuracy %.1f{100.0 * evaluation.Accuracy}%% on the 300 points"
(*** include-output ***)
(**
In the input plane the decision region is a closed curve around the inner circle:
*)
let x = circles.Features()

let groups =
    [|
        for l in circles.Labels -> if l = 1 then "1: inner circle" else "0: outer circle"
    |]

let column (m: Matrix<float32>) j =
    [| for i in 0 .. m.RowCount - 1 -> float m[i, j] |]

let probability (a: float) (b: float) =
    float (
        net
            .Predict(
                Matrix<float32>.Build.DenseOfRowArrays([| [| float32 a; float32 b |] |])
            )
            .Probabilities[0, 0]
    )
(*** hide ***)
Chart
    .Layer(
        Chart.Field(Func<_, _, _>(probability), -1.5, 1.5, -1.5, 1.5, 50, "P(inner)"),
        Chart.Points(column x 0, column x 1, groups, "x₁", "x₂")
    )
    .WithSize(340, 340)
    .ToHtml(
        "hidden-boundary",
        "The trained network's probability of the inner class over the input plane."
    )
(*** include-it-raw ***)
(**
## The data as the hidden layer sees it

`LayerOutputs` returns what each layer hands on. Layer 1 (the tanh) gives each point's three hidden
activations. The output unit computes z = w₂·h + b₂ and calls a point "inner" when z > 0: in hidden space the
boundary is a plane, so the classes must be linearly separable there. To see it, plot each point by z (the
distance from that plane, up to scale) against a direction within the plane. The three panels after it show the
hidden activations two at a time.
*)
let hidden = (net.LayerOutputs x)[1]

let w2 =
    net.Parameters
    |> Seq.find (fun p -> p.Key = "2.weight")
    |> fun p -> p.Value.Row(0).Map(float)

let b2 =
    net.Parameters
    |> Seq.find (fun p -> p.Key = "2.bias")
    |> fun p -> float p.Value[0, 0]

let h = hidden.Map(float)
let z = h * w2 + b2

// A unit direction orthogonal to w₂: the first of the unit axes, with its w₂ component
// removed.
let along =
    let e = Vector<float>.Build.Dense(3, fun i -> if i = 0 then 1.0 else 0.0)
    let u = e - (e * w2) / (w2 * w2) * w2
    u / u.L2Norm()

let separated =
    [|
        for i in 0 .. h.RowCount - 1 ->
            if (z[i] > 0.0) = (circles.Labels[i] = 1) then 1 else 0
    |]
    |> Array.sum

printfn
    "%s"
    ($"%d{separated} of %d{h.RowCount} points on their class's side "
     + "of the output unit's plane")
(*** include-output ***)
(*** hide ***)
let projection =
    Chart
        .Points(
            z.ToArray(),
            (h * along).ToArray(),
            groups,
            "w₂·h + b₂ (output logit)",
            "a direction in the plane"
        )
        .WithTitle("Hidden space, seen edge-on to the plane")
        .WithSize(300, 260)

let pair i j =
    Chart
        .Points(column hidden i, column hidden j, groups, $"h{i + 1}", $"h{j + 1}")
        .WithTitle($"h{i + 1} against h{j + 1}")
        .WithSize(200, 200)

Chart
    .Grid([ projection; pair 0 1; pair 0 2; pair 1 2 ], columns = 2)
    .ToHtml(
        "hidden-space",
        "The 300 points in the hidden layer's space: the inner circle is now on one side of a plane (right of z = 0 in the first panel, where the output unit says inner)."
    )
(*** include-it-raw ***)
(**
Every tanh squashes the plane along one direction; three of them send the inner disc and the outer ring to
different corners and faces of the cube (−1, 1)³, where a plane can separate them. That is what a hidden layer is for: it learns a representation in which the
problem becomes linear for the layer after it. The [next page](network-drawing.html) draws such networks from their
weights.
*)
(**
## Exercise: the hidden layer by hand

<section class="exercise">

Compute the hidden layer's outputs for the 300 points yourself, $H = \tanh(X W^{(1)\top} + \mathbf{1} b^{(1)})$,
from the trained parameters (`net.Parameters`: `"0.weight"` is $3 \times 2$, `"0.bias"` $1 \times 3$), and have
`Check.close` compare it with `LayerOutputs`. Forgetting the bias is refused:

</section>
*)
let trained (name: string) =
    (net.Parameters |> Seq.find (fun p -> p.Key = name)).Value.Map(float)
let X2 = x.Map(float)
let onesColumn = Matrix<float>.Build.Dense(X2.RowCount, 1, 1.0)
let withoutBias = (X2 * (trained "0.weight").Transpose()).PointwiseTanh()
printfn "%O" (Hybrid.Core.Check.close "H" 1e-5 h withoutBias)
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>
*)
let hByHand =
    (X2 * (trained "0.weight").Transpose() + onesColumn * trained "0.bias")
        .PointwiseTanh()

printfn "%O" (Hybrid.Core.Check.close "H" 1e-5 h hByHand |> Hybrid.Core.Check.orFail)
(*** include-output ***)
(**
</details>
*)
