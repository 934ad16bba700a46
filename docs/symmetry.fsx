(**
---
title: Why random initialisation
category: The course
categoryindex: 2
index: 9
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Why weights start random, and how large
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

Two questions decide where training starts: why the weights cannot all start equal, and what spread they should be
drawn with. The first is a symmetry argument, shown below on a network that never breaks it; the second is Glorot
and Bengio's variance argument, derived and then measured.

## Equal weights stay equal

Give every hidden unit the same incoming and outgoing weights. Then every unit computes the same $A^{(1)}_{:,j}$,
receives the same error $\delta^{(1)}_{:,j} = (\delta^{(2)} W^{(2)\top})_{:,j} \odot f'(Z^{(1)}_{:,j})$, and gets
the same update $X^\top \delta^{(1)}_{:,j}$: after any number of steps the units are still copies of each other,
and a layer of $h$ units is worth one. (All-zero weights are the extreme case: with $W^{(2)} = 0$ no error reaches
the hidden layer at all on the first step.) A random start makes the units differ, and gradient descent then
pulls them apart.

Eight tanh units on two half-moons, trained by gradient descent from a constant start (every weight 0.3) and
from a random one:
*)
open System
open MathNet.Numerics.LinearAlgebra
open MathNet.Numerics.Distributions
open Hybrid.Core
open Hybrid.Charts

let moons = Hybrid.Data.ToyData.Moons(200, noise = 0.1, seed = 4)
let X = moons.Features().Map(float)

let Y =
    Matrix<float>
        .Build.Dense(moons.Count, 2, fun i c -> if moons.Labels[i] = c then 1.0 else 0.0)

let h = 8

/// Trains 2–8–2 by gradient descent; per step: the cost, the accuracy, and the largest
/// difference between any
/// two hidden units' incoming weights.
let train (w1: Matrix<float>) (w2: Matrix<float>) steps =
    let ps =
        [| w1; Matrix<float>.Build.Dense(1, h); w2; Matrix<float>.Build.Dense(1, 2) |]
        |> Array.mapi (fun i m -> Graph.variable $"p{i}" m)

    let state = OptimizerState(OptimizerSpec.sgd 0.5, ps)

    [
        for _ in 1..steps ->
            state.ZeroGrad()

            let a =
                Activations.tanh (
                    Linalg.addRowVector (Linalg.matmul (Graph.constant X) ps[0]) ps[1]
                )

            let z = Linalg.addRowVector (Linalg.matmul a ps[2]) ps[3]
            let cost = Objectives.crossEntropyWithLogits z (Graph.constant Y)

            let right =
                [
                    for i in 0 .. X.RowCount - 1 ->
                        if z.Value.Row(i).MaximumIndex() = moons.Labels[i] then
                            1.0
                        else
                            0.0
                ]

            Graph.backward cost
            state.Step 0.5
            let w = ps[0].Value

            let spread =
                [ for j in 1 .. h - 1 -> (w.Column(j) - w.Column(0)).AbsoluteMaximum() ]
                |> List.max

            cost.Value[0, 0], List.average right, spread
    ]

let constant =
    train
        (Matrix<float>.Build.Dense(2, h, 0.3))
        (Matrix<float>.Build.Dense(h, 2, 0.3))
        600

let rng = Normal(0.0, 1.0, Random 7)

let randomStart =
    train
        (Matrix<float>.Build.Random(2, h, rng))
        (Matrix<float>.Build.Random(h, 2, rng) * 0.5)
        600
(*** hide ***)
let curve name pick (run: (float * float * float) list) =
    Series.Of(name, [ for r in run -> pick r ])

let third (_, _, c) = c
let second (_, b, _) = b

Chart
    .Grid(
        [
            Chart
                .Lines(
                    [
                        curve "constant start" second constant
                        curve "random start" second randomStart
                    ],
                    xTitle = "step",
                    yTitle = "training accuracy"
                )
                .WithTitle("Accuracy")
                .WithSize(300, 220)
            Chart
                .Lines(
                    [
                        curve "constant start" third constant
                        curve "random start" third randomStart
                    ],
                    xTitle = "step",
                    yTitle = "max difference between hidden units"
                )
                .WithTitle("How different the hidden units are")
                .WithSize(300, 220)
        ]
    )
    .ToHtml(
        "symmetry",
        "Eight tanh units from a constant start stay identical (the difference is exactly 0) and learn what one unit can."
    )
(*** include-it-raw ***)
(**
After 600 steps:
*)
let last (run: (float * float * float) list) = List.last run

Hybrid.Examples.Course.Table(
    [| "start"; "cost"; "accuracy"; "max difference between units" |],
    [
        for name, run in [ "constant 0.3", constant; "random", randomStart ] ->
            let c, a, s = last run
            [| name; $"{c:F4}"; $"{100.0 * a:F1} %%"; $"{s:G3}" |]
    ]
)
(*** include-it-raw ***)
(**
## How large: Glorot's variance argument

Take one layer $z_j = \sum_{m=1}^{d_\text{in}} a_m W_{mj}$ with the inputs $a_m$ and weights $W_{mj}$ independent,
zero-mean, with variances $\operatorname{Var}(a)$ and $\sigma^2$. The variance of a sum of independent terms is
the sum of their variances, and for independent zero-mean factors
$\operatorname{Var}(a W) = \operatorname{Var}(a) \operatorname{Var}(W)$, so

$$
\operatorname{Var}(z) = d_\text{in}\, \sigma^2 \operatorname{Var}(a).
$$

Near zero, $\tanh z \approx z$, so the activations keep their variance from layer to layer only if
$d_\text{in} \sigma^2 = 1$. The backward pass is the same sum in the other direction,
$\partial J / \partial a_m = \sum_j W_{mj}\, \delta_j$ over $d_\text{out}$ terms, so the gradients keep theirs
only if $d_\text{out} \sigma^2 = 1$. Both hold only when $d_\text{in} = d_\text{out}$; Glorot and Bengio (2010)
take the compromise

$$
\sigma^2 = \frac{2}{d_\text{in} + d_\text{out}},
$$

and since $U(-r, r)$ has variance $r^2 / 3$, the uniform draw $W \sim U\!\left(-\sqrt{6 / (d_\text{in} +
d_\text{out})},\ \sqrt{6 / (d_\text{in} + d_\text{out})}\right)$: Hybrid's `GlorotUniform`. Measured on one
layer of 256 inputs and 256 units, with a batch of 2,000 standard-normal rows:
*)
let din, dout, batch = 256, 256, 2000
let inputs = Matrix<float>.Build.Random(batch, din, Normal(0.0, 1.0, Random 11))

let variance (m: Matrix<float>) =
    let values = m.Enumerate() |> Seq.toArray
    let mean = Array.average values
    values |> Array.averageBy (fun v -> (v - mean) * (v - mean))

let ratioWith (w: Matrix<float>) = variance (inputs * w) / variance inputs
// Init.create stores a layer's weights as outputs × inputs (Hybrid's Dense computes
// X·Wᵀ): transpose to d_in × d_out.
let glorot =
    (Init.create<float> GlorotUniform (Random 12) din dout dout din).Transpose()

let ratios =
    [
        "N(0, 1)",
        ratioWith (Matrix<float>.Build.Random(din, dout, Normal(0.0, 1.0, Random 13)))
        "N(0, 0.01²)",
        ratioWith (Matrix<float>.Build.Random(din, dout, Normal(0.0, 0.01, Random 14)))
        "Glorot uniform", ratioWith glorot
    ]

Hybrid.Examples.Course.Table(
    [| "weights"; "Var(z) / Var(a)"; "predicted d_in σ²" |],
    [
        for (name, r), predicted in List.zip ratios [ float din; float din / 1e4; 1.0 ] ->
            [| name; $"{r:G4}"; $"{predicted:G4}" |]
    ]
)
(*** include-it-raw ***)
(**
Ten layers multiply these factors: $256^{10}$ or $0.0256^{10}$ against $1$. The page
[Initialization](initialization.html) follows them through ten tanh layers.

## Exercise: He initialisation for ReLU

<section class="exercise">

ReLU zeroes half of a zero-mean, symmetric input, so $E[\operatorname{relu}(z)^2] = \frac{1}{2}
\operatorname{Var}(z)$. Redo the argument for the second moment $q = E[a^2]$ of a ReLU layer's output,
$q_\text{out} = \frac{1}{2} d_\text{in} \sigma^2 q_\text{in}$, and choose $\sigma$ so that a ReLU layer keeps
$q$. `Check.value` compares the measured ratio $q_\text{out} / q_\text{in}$ with 1 (within 5 %). Glorot's
$\sigma^2 = 1/d_\text{in}$ (for a square layer) is refused:

</section>
*)
let secondMomentRatio (sigma: float) =
    let w = Matrix<float>.Build.Random(din, dout, Normal(0.0, sigma, Random 15))
    let a = (inputs * w).PointwiseMaximum(0.0)

    let q (m: Matrix<float>) =
        m.Enumerate() |> Seq.averageBy (fun v -> v * v)

    q a / q inputs

printfn
    "%O"
    (Check.value "He initialisation" 0.05 1.0 (secondMomentRatio (sqrt (1.0 / 256.0))))
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

$\frac{1}{2} d_\text{in} \sigma^2 = 1$, so $\sigma^2 = 2 / d_\text{in}$ (He et al., 2015).
*)
printfn
    "%O"
    (Check.value "He initialisation" 0.05 1.0 (secondMomentRatio (sqrt (2.0 / float din)))
     |> Check.orFail)
(*** include-output ***)
(**
</details>

Next: [Initialization](initialization.html) measures the three starts through ten layers, and
[A deep network](deep-network.html) trains one.
*)
