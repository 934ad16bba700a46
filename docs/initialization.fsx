(**
---
title: Initialization
category: The course
categoryindex: 2
index: 10
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Initialization: keeping signals alive through ten layers
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

Glorot and Bengio asked, in *Understanding the difficulty of training deep feedforward neural networks* (2010), why deep
tanh networks trained badly from the usual random starts. Their answer: with weights drawn too small, each layer
shrinks the activations going forward and the gradients going backward, so after a few layers almost nothing is
left; drawn too large, tanh saturates. They proposed drawing W uniformly from ±√(6 / (n_in + n_out)), which keeps
the variance of activations and of gradients roughly the same from layer to layer. That is Hybrid's default for
dense layers (`GlorotUniform`).

This page measures it on a 10-layer tanh network, 100 units wide, fed 500 standard-normal inputs, with three
initializations:

* **small random**: N(0, 0.01²), the "small random numbers" of early courses;
* **standard**: U[−1/√n, 1/√n], the heuristic Glorot and Bengio compared against;
* **Glorot**: U[−√(6/(n_in + n_out)), +√(6/(n_in + n_out))], from `Init.create GlorotUniform`.
*)
open System
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Charts

let width, depth, batch = 100, 10, 500
let rng = Random 1

let inits: (string * (Random -> Matrix<float>)) list =
    [
        ("small random N(0, 0.01²)",
         fun r ->
             Matrix<float>
                 .Build.Dense(width, width, fun _ _ -> 0.01 * Init.standardNormal r))
        ("standard U[±1/√n]",
         fun r ->
             Matrix<float>
                 .Build.Dense(
                     width,
                     width,
                     fun _ _ -> (2.0 * r.NextDouble() - 1.0) / sqrt (float width)
                 ))
        ("Glorot uniform", fun r -> Init.create GlorotUniform r width width width width)
    ]

let input =
    Matrix<float>.Build.Dense(batch, width, fun _ _ -> Init.standardNormal rng)

let target =
    Matrix<float>.Build.Dense(batch, width, fun _ _ -> Init.standardNormal rng)

let std (m: Matrix<float>) =
    let values = m.Enumerate() |> Seq.toArray
    let mean = Array.average values
    sqrt (values |> Array.averageBy (fun v -> (v - mean) * (v - mean)))

// Forward through the ten tanh layers and back from a squared-error loss: the standard
// deviation of each layer's activations, and of the gradient of the loss with respect to
// each layer's output.
let measure (draw: Random -> Matrix<float>) =
    let weights = [ for l in 1..depth -> Graph.variable $"W{l}" (draw (Random l)) ]
    let mutable h = Graph.constant input
    let activations = ResizeArray<float>()
    let outputs = ResizeArray<Node<float>>()

    for w in weights do
        h <- Activations.tanh (Linalg.matmulWith false true h w)
        activations.Add(std h.Value)
        outputs.Add h

    let loss = Objectives.meanSquaredError h (Graph.constant target)
    // dL/dh for each layer's output h: the error as it travels back, before it meets that
    // layer's inputs.
    let gradients = Graph.grad outputs loss |> Array.map std
    activations.ToArray(), gradients

let results = [ for name, draw in inits -> name, measure draw ]
(**
Forward: the spread of each layer's activations. With small random weights every layer multiplies the signal by
about 0.01 × √100 = 0.1, so it is gone after three layers. The standard heuristic loses two to three orders of
magnitude over the ten layers; Glorot's loses far less.
*)
(*** hide ***)
Chart
    .Lines(
        [ for name, (a, _) in results -> Series.Of(name, a) ],
        "layer",
        "std of activations",
        logY = true
    )
    .WithSize(480, 280)
    .ToHtml(
        "init-activations",
        "Standard deviation of the tanh activations after each of the ten layers (log scale)."
    )
(*** include-it-raw ***)
(**
Backward: the spread of $\partial L / \partial h^{(l)}$, the gradient with respect to each layer's output, as it
travels from layer 10 back to layer 1. Each step back multiplies it by one weight matrix and one tanh slope (the
δ rule of [Backpropagation](backpropagation.html)): with small random weights it loses a factor of about
$0.01 \sqrt{100} = 0.1$ per layer, so layer 1 receives a nine-orders-smaller signal than layer 10; the standard
heuristic loses less; Glorot's keeps it of the same order at every layer. (A layer's weight gradient is this times
the activations coming into it: $\partial L / \partial W^{(l)} = A^{(l-1)\top} \delta^{(l)}$.)
*)
(*** hide ***)
Chart
    .Lines(
        [ for name, (_, g) in results -> Series.Of(name, g) ],
        "layer",
        "std of dL/dh",
        logY = true
    )
    .WithSize(480, 280)
    .ToHtml(
        "init-gradients",
        "Standard deviation of dL/dh, the gradient of each layer's output, layer 1 nearest the input (log scale)."
    )
(*** include-it-raw ***)
(**
The numbers behind the plots, first and last layer:
*)
let summary =
    [
        for name, (a, g) in results -> name, (a[0], a[depth - 1]), (g[0], g[depth - 1])
    ]
(*** hide ***)
Hybrid.Examples.Course.Table(
    [|
        "start"
        "std h, layer 1"
        $"layer {depth}"
        "std dL/dh, layer 1"
        $"layer {depth}"
    |],
    [
        for name, (a0, an), (g0, gn) in summary ->
            [| name; $"{a0:G3}"; $"{an:G3}"; $"{g0:G3}"; $"{gn:G3}" |]
    ]
)
(*** include-it-raw ***)
(**
For ReLU layers the same argument gives He initialization, ±√(6 / n_in) (`HeUniform`), which compensates for ReLU
zeroing half of its inputs.
*)
(**
## Exercise: the uniform bound

<section class="exercise">

Glorot's variance is $\sigma^2 = 2 / (n_\text{in} + n_\text{out})$ (derived on
[Why random initialisation](symmetry.html)). A uniform draw $U(-r, r)$ has variance $r^2 / 3$: choose $r$ for
these 100 × 100 layers, and have `Check.value` compare it with the bound `Init.create GlorotUniform` actually uses
(the largest weight it drew, which for 10,000 draws is within 0.1 % of $r$). Forgetting the factor 3 is refused:

</section>
*)
let drawn = Init.create<float> GlorotUniform (Random 3) width width width width
let largest = drawn.Enumerate() |> Seq.map abs |> Seq.max

printfn
    "%O"
    (Check.value "Glorot's bound" 1e-3 largest (sqrt (2.0 / float (width + width))))
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

$r^2 / 3 = 2 / (n_\text{in} + n_\text{out})$, so $r = \sqrt{6 / (n_\text{in} + n_\text{out})}$.
*)
let bound = sqrt (6.0 / float (width + width))
printfn "%O" (Check.value "Glorot's bound" 1e-3 largest bound |> Check.orFail)
(*** include-output ***)
(**
</details>

Next: [A deep network](deep-network.html) trains ten layers' worth of this argument.
*)
