(**
---
title: A deep network
category: The course
categoryindex: 2
index: 11
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# A deep network, with and without a good start
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

The δ rule, $\delta^{(l)} = (\delta^{(l+1)} W^{(l+1)\top}) \odot f'(Z^{(l)})$, multiplies the error by one
weight matrix and one slope per layer on its way back. Over many layers those factors compound: if each shrinks
the error's size by a factor $\rho < 1$, layer 1 receives $\rho^{L}$ of what the last layer sees. This page trains
an 8-layer tanh network (2 inputs, seven hidden layers of 32 units, 2 classes) on two interleaved spirals, twice,
from two starts:

* **small**: every weight from $N(0, 0.1^2)$: each layer multiplies the signal by about $0.1 \sqrt{32} \approx 0.57$;
* **Glorot**: $U(\pm\sqrt{6 / (d_\text{in} + d_\text{out})})$, derived on [Why random initialisation](symmetry.html).

Both train with Adam at the same rate, full batch, for 400 steps. The network is written with the graph's ops,
so that $\delta^{(l)} = \partial J / \partial Z^{(l)}$ can be asked of `Graph.grad` for every layer.
*)
open System
open MathNet.Numerics.LinearAlgebra
open MathNet.Numerics.Distributions
open Hybrid.Core
open Hybrid.Charts

let spirals = Hybrid.Data.ToyData.Spirals(300, noise = 0.03, seed = 5)
let X = spirals.Features().Map(float)

let Y =
    Matrix<float>
        .Build
        .Dense(spirals.Count, 2, fun i c -> if spirals.Labels[i] = c then 1.0 else 0.0)

let widths = [| 2; 32; 32; 32; 32; 32; 32; 32; 2 |]
let layers = widths.Length - 1

let smallStart seed =
    let rng = Normal(0.0, 0.1, Random(seed: int))

    [|
        for l in 0 .. layers - 1 ->
            Matrix<float>.Build.Random(widths[l], widths[l + 1], rng)
    |]

let glorotStart seed =
    let rng = Random(seed: int)

    [|
        for l in 0 .. layers - 1 ->
            let din, dout = widths[l], widths[l + 1]
            (Init.create<float> GlorotUniform rng din dout dout din).Transpose()
    |]

/// The forward pass: the pre-activations Z⁽ˡ⁾ of every layer and the cost.
let forward (ws: Node<float>[]) (bs: Node<float>[]) =
    let mutable a = Graph.constant X
    let zs = ResizeArray()

    for l in 0 .. layers - 1 do
        let z = Linalg.addRowVector (Linalg.matmul a ws[l]) bs[l]
        zs.Add z
        a <- if l < layers - 1 then Activations.tanh z else z

    zs.ToArray(), Objectives.crossEntropyWithLogits a (Graph.constant Y)

let accuracy (logits: Matrix<float>) =
    [
        for i in 0 .. logits.RowCount - 1 ->
            if logits.Row(i).MaximumIndex() = spirals.Labels[i] then
                1.0
            else
                0.0
    ]
    |> List.average

/// Trains from the given weights; returns per step the cost, the norm ‖δ⁽ˡ⁾‖ per layer
/// at steps 1 and 400, and the final training accuracy.
let train (start: Matrix<float>[]) =
    let ws = start |> Array.mapi (fun l m -> Graph.variable $"W{l + 1}" m)

    let bs =
        [|
            for l in 0 .. layers - 1 ->
                Graph.variable $"b{l + 1}" (Matrix<float>.Build.Dense(1, widths[l + 1]))
        |]

    let state = OptimizerState(OptimizerSpec.adam 0.003, Array.append ws bs)

    let deltaNorms () =
        let zs, cost = forward ws bs
        Graph.grad zs cost |> Array.map (fun d -> d.FrobeniusNorm())

    let first = deltaNorms ()

    let costs =
        [
            for _ in 1..400 ->
                state.ZeroGrad()
                let _, cost = forward ws bs
                Graph.backward cost
                state.Step 0.003
                cost.Value[0, 0]
        ]

    let zs, _ = forward ws bs
    costs, first, deltaNorms (), accuracy zs[layers - 1].Value

let runs =
    [
        "small N(0, 0.1²)", train (smallStart 1)
        "Glorot uniform", train (glorotStart 1)
    ]
(**
## The error, layer by layer

At the start, the size of $\delta^{(l)}$ for each layer, layer 1 nearest the input. From the small start the
error shrinks by orders of magnitude on its way down; from Glorot's it stays within a small factor:
*)
(*** hide ***)
Chart
    .Lines(
        [ for name, (_, first, _, _) in runs -> Series.Of(name, first) ],
        xTitle = "layer l (1 = nearest the input)",
        yTitle = "‖δ⁽ˡ⁾‖ = ‖∂J/∂Z⁽ˡ⁾‖ at step 1",
        logY = true
    )
    .ToHtml(
        "deep-gradient-norms",
        "The norm of each layer's error δ at the start (log scale)."
    )
(*** include-it-raw ***)
(**
How many times larger the last layer's error is than the first layer's, before and after training:
*)
Hybrid.Examples.Course.Table(
    [| "start"; "‖δ⁽⁸⁾‖ / ‖δ⁽¹⁾‖ at step 1"; "at step 400"; "training accuracy" |],
    [
        for name, (_, first, last, acc) in runs ->
            [|
                name
                $"{first[layers - 1] / first[0]:G3}"
                $"{last[layers - 1] / last[0]:G3}"
                $"{100.0 * acc:F1} %%"
            |]
    ]
)
(*** include-it-raw ***)
(**
## Training

The cost over the 400 steps. The small start sits on a plateau while Adam's per-parameter scaling slowly
amplifies the tiny gradients of the first layers; Glorot's start learns from the first steps:
*)
(*** hide ***)
Chart
    .Lines(
        [ for name, (costs, _, _, _) in runs -> Series.Of(name, costs) ],
        xTitle = "step",
        yTitle = "training cost J",
        logY = true
    )
    .ToHtml(
        "deep-training",
        "An 8-layer tanh network on two spirals, Adam at 0.003: the cost from each start."
    )
(*** include-it-raw ***)
(**
## Exercise: how deep can the small start go?

<section class="exercise">

Predict the factor $\|\delta^{(1)}\| / \|\delta^{(L)}\|$ for the small start from the argument above, for this
network's $L = 8$ layers: each layer back multiplies the error by about $\rho = 0.1 \sqrt{32}$ (the weights), and
$\tanh' \approx 1$ near zero. `Check.value` compares your prediction's $\log_{10}$ with the measured one, within
0.5 (a factor of about 3). An answer that took $\rho = 0.1$, forgetting the $\sqrt{32}$ that the sum over 32
inputs brings, is refused:

</section>
*)
let measured =
    let _, (_, first, _, _) = runs[0]
    log10 (first[0] / first[layers - 1])

let within = 0.5 / max 1.0 (abs measured)
printfn "%O" (Check.value "the small start's shrinking" within measured (7.0 * log10 0.1))
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

Seven products by $W^{(l)\top}$ separate layer 8 from layer 1, each multiplying the size by about
$0.1 \sqrt{32} \approx 0.57$: $\log_{10} 0.57^7 \approx -1.7$.
*)
let prediction = 7.0 * log10 (0.1 * sqrt 32.0)

printfn
    "%O"
    (Check.value "the small start's shrinking" within measured prediction
     |> Check.orFail)
(*** include-output ***)
(**
</details>

Next: [Optimization](optimization.html): batch sizes and schedules, then [Optimizers](optimizers.html).
*)
