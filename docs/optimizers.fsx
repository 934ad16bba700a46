(**
---
title: Optimizers
category: The course
categoryindex: 2
index: 13
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Optimizers: the update rules
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

An optimizer turns the gradient $g_t = \nabla_\theta J(\theta_t)$ into a step. Hybrid's `OptimizerSpec` follows
PyTorch's `torch.optim` rules exactly; here they are, each as an equation, then checked against the library,
and then raced on two surfaces and swept over the learning rate. Each rule acts element by element on every
parameter; $t = 1, 2, \dots$ counts the steps.

## Stochastic gradient descent

$$
\theta_{t} = \theta_{t-1} - \eta\, g_t.
$$

"Batch", "mini-batch" and "stochastic" gradient descent are this one rule; they differ only in how many samples
$g_t$ averages: all $n$, a batch of $B$, or one.

## Momentum and Nesterov

Heavy-ball momentum keeps a velocity $b$, a running sum of past gradients that decays by $\mu$ (typically 0.9):

$$
b_t = \mu\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t \qquad (b_0 = 0).
$$

Along a direction where the gradient keeps its sign, the steps grow towards $\eta g / (1 - \mu)$, ten times plain
SGD's for $\mu = 0.9$; across a narrow valley, where it flips, they cancel. **Nesterov** momentum evaluates the
step "ahead", along the velocity it is about to apply; in PyTorch's form:

$$
b_t = \mu\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, (g_t + \mu\, b_t).
$$

## RMSProp

RMSProp divides each element's step by a running root-mean-square of its gradients, so that parameters with large
gradients take smaller steps and those with small gradients larger ones ($\alpha = 0.99$, $\epsilon = 10^{-8}$):

$$
s_t = \alpha\, s_{t-1} + (1 - \alpha)\, g_t^2, \qquad
\theta_t = \theta_{t-1} - \eta\, \frac{g_t}{\sqrt{s_t} + \epsilon}.
$$

## Adam, with bias correction

Adam keeps both a running mean of the gradients (momentum) and a running mean of their squares (RMSProp),
$\beta_1 = 0.9$, $\beta_2 = 0.999$:

$$
m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad
v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2.
$$

Both start at zero, so early on they are biased towards zero: after one step $m_1 = (1 - \beta_1) g_1$, a tenth of
the gradient. Since $m_t = (1 - \beta_1) \sum_{s \le t} \beta_1^{t-s} g_s$, a constant gradient $g$ gives
$m_t = (1 - \beta_1^t)\, g$; dividing by $1 - \beta_1^t$ removes the bias:

$$
\hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
\theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}.
$$

The first step is therefore about $\eta$ in every coordinate, whatever the gradient's scale.

One departure from PyTorch: a parameter whose gradient stays zero, such as the weight of an input pixel that is
blank in every recent batch, has its $m_t$ shrink by $\beta_1$ a step. After about 750 steps it falls below the
smallest normal `float32` ($2^{-126}$). Processors handle such subnormal numbers some twenty times more slowly, so
Hybrid stores them as zero, in every optimizer's buffers. The parameters do not change: a moment that small moves
its weight by less than $10^{-30}$. On MNIST at batch 32, the flush made an epoch nearly twice as fast.

## AdamW

L2 regularisation adds $\lambda \theta$ to the gradient; inside Adam, that term is then divided by
$\sqrt{\hat v_t}$ like the rest, so parameters with large gradients are hardly regularised. AdamW *decouples* the
decay: it shrinks the parameters directly, then takes Adam's step with the plain gradient:

$$
\theta \leftarrow \theta\, (1 - \eta \lambda), \qquad \text{then the Adam step above}.
$$

## The equations against the library

The rules above, written out for one parameter vector, against `OptimizerState` (the library's optimizer) over
five steps of the same gradients:
*)
open System
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Charts

let gradients =
    [
        for t in 1..5 ->
            Matrix<float>
                .Build.Dense(1, 3, fun _ j -> float (j + 1) * sin (float (t + 2 * j)))
    ]

let start = Matrix<float>.Build.Dense(1, 3, fun _ j -> 1.0 - 0.5 * float j)

/// The library: one OptimizerState over one parameter, stepped with the given gradients.
let library spec (lr: float) =
    let p = Graph.variable "p" (start.Clone())
    let state = OptimizerState(spec, [| p |])

    for g in gradients do
        state.ZeroGrad()
        // The gradient of sum(g ⊙ p) with respect to p is g: backward stores exactly g.
        Graph.backward (Reduce.sum (Arith.mul (Graph.constant g) p))
        state.Step lr

    p.Value

/// The equations of this page, one per optimizer.
let byHand name (lr: float) =
    let mutable theta = start.Clone()
    let mutable b = Matrix<float>.Build.Dense(1, 3)
    let mutable m = Matrix<float>.Build.Dense(1, 3)
    let mutable v = Matrix<float>.Build.Dense(1, 3)
    let sq (x: Matrix<float>) = x.PointwiseMultiply x
    let root (x: Matrix<float>) = x.PointwiseSqrt()

    gradients
    |> List.iteri (fun i g ->
        let t = float (i + 1)

        match name with
        | "SGD" -> theta <- theta - lr * g
        | "momentum" ->
            b <- 0.9 * b + g
            theta <- theta - lr * b
        | "Nesterov" ->
            b <- 0.9 * b + g
            theta <- theta - lr * (g + 0.9 * b)
        | "RMSProp" ->
            v <- 0.99 * v + 0.01 * sq g
            theta <- theta - lr * g.PointwiseDivide(root v + 1e-8)
        | adam ->
            if adam = "AdamW" then
                theta <- theta * (1.0 - lr * 0.1)

            m <- 0.9 * m + 0.1 * g
            v <- 0.999 * v + 0.001 * sq g
            let mHat, vHat = m / (1.0 - 0.9 ** t), v / (1.0 - 0.999 ** t)
            theta <- theta - lr * mHat.PointwiseDivide(root vHat + 1e-8))

    theta

let rules =
    [
        "SGD", OptimizerSpec.sgd 0.1
        "momentum", OptimizerSpec.momentum 0.1 0.9
        "Nesterov", OptimizerSpec.nesterov 0.1 0.9
        "RMSProp", OptimizerSpec.rmsProp 0.1
        "Adam", OptimizerSpec.adam 0.1
        "AdamW", OptimizerSpec.adamW 0.1 0.1
    ]

for name, spec in rules do
    printfn
        "%O"
        (Check.close name 1e-12 (library spec 0.1) (byHand name 0.1) |> Check.orFail)
(*** include-output ***)
(**
## Trajectories: a bowl and a valley

Two functions of a point $(x, y)$: an elongated bowl $f(x, y) = x^2 / 2 + 5 y^2$ (curvature ten times larger
across than along), and Rosenbrock's valley $f(x, y) = (1 - x)^2 + 100 (y - x^2)^2$, whose minimum $(1, 1)$ lies
at the end of a long, curved, nearly flat floor. Each optimizer starts at the same point and takes 150 steps; the
gradient comes from the graph.
*)
let bowl (p: Node<float>) =
    let w = Graph.constant (Tensor.ofRows [| [| 0.5; 5.0 |] |])
    Reduce.sum (Arith.mul w (Arith.mul p p))

let rosenbrock (p: Node<float>) =
    let x = Linalg.matmul p (Graph.constant (Tensor.ofRows [| [| 1.0 |]; [| 0.0 |] |]))
    let y = Linalg.matmul p (Graph.constant (Tensor.ofRows [| [| 0.0 |]; [| 1.0 |] |]))
    let oneMinusX = Arith.addScalar 1.0 (Arith.neg x)
    let valley = Arith.sub y (Arith.mul x x)

    Reduce.sum (
        Arith.add
            (Arith.mul oneMinusX oneMinusX)
            (Arith.mulScalar 100.0 (Arith.mul valley valley))
    )

/// The points an optimizer visits on f from (x0, y0).
let trajectory f (x0, y0) spec steps =
    let p = Graph.variable "p" (Tensor.ofRows [| [| x0; y0 |] |])
    let state = OptimizerState(spec, [| p |])

    [
        yield x0, y0
        for _ in 1..steps do
            state.ZeroGrad()
            Graph.backward (f p)
            state.Step(OptimizerSpec.learningRate spec)
            yield p.Value[0, 0], p.Value[0, 1]
    ]

let racers bowlRate valleyRate =
    [
        "SGD", OptimizerSpec.sgd bowlRate, OptimizerSpec.sgd valleyRate
        "momentum",
        OptimizerSpec.momentum bowlRate 0.9,
        OptimizerSpec.momentum valleyRate 0.9
        "Nesterov",
        OptimizerSpec.nesterov bowlRate 0.9,
        OptimizerSpec.nesterov valleyRate 0.9
        "RMSProp", OptimizerSpec.rmsProp 0.05, OptimizerSpec.rmsProp 0.01
        "Adam", OptimizerSpec.adam 0.3, OptimizerSpec.adam 0.05
    ]

let races =
    [
        for name, onBowl, onValley in racers 0.03 0.001 ->
            name,
            trajectory bowl (-4.0, 1.5) onBowl 150,
            trajectory rosenbrock (-1.2, 1.0) onValley 150
    ]

let finalValue (f: Node<float> -> Node<float>) (x: float, y: float) =
    (f (Graph.constant (Tensor.ofRows [| [| x; y |] |]))).Value[0, 0]
(*** hide ***)
type Path = (float * float) list

let fieldAndPaths
    title
    (f: Node<float> -> Node<float>)
    (pick: Path * Path -> Path)
    (x0, x1, y0, y1)
    =
    let field =
        Chart.Field(
            Func<_, _, _>(fun x y -> log10 (1e-3 + finalValue f (x, y))),
            x0,
            x1,
            y0,
            y1,
            40,
            "log₁₀ f"
        )

    let visited =
        [ for name, bowlPath, valleyPath in races -> name, pick (bowlPath, valleyPath) ]

    let points =
        [|
            for name, path in visited do
                for x, y in path do
                    if x >= x0 && x <= x1 && y >= y0 && y <= y1 then
                        yield x, y, name
        |]

    Chart
        .Layer(
            field,
            Chart.Points(
                [| for x, _, _ in points -> x |],
                [| for _, y, _ in points -> y |],
                [| for _, _, g in points -> g |],
                "x",
                "y"
            )
        )
        .WithTitle(title: string)

Chart
    .Grid(
        [
            fieldAndPaths "Bowl x²/2 + 5y²" bowl fst (-4.5, 1.5, -2.0, 2.0)
            fieldAndPaths "Rosenbrock's valley" rosenbrock snd (-1.5, 1.5, -0.5, 1.5)
        ],
        columns = 1
    )
    .ToHtml(
        "optimizer-trajectories",
        "150 steps of each optimizer from the same start; the colour is log₁₀ f."
    )
(*** include-it-raw ***)
(**
Where each one ended, and the function's value there:
*)
let endings =
    [
        for name, bowlPath, valleyPath in races ->
            let bx, by = List.last bowlPath
            let vx, vy = List.last valleyPath

            [|
                name
                $"({bx:F3}, {by:F3})"
                $"{finalValue bowl (bx, by):G3}"
                $"({vx:F3}, {vy:F3})"
                $"{finalValue rosenbrock (vx, vy):G3}"
            |]
    ]

Hybrid.Examples.Course.Table(
    [| "optimizer"; "bowl: end"; "f there"; "valley: end"; "f there" |],
    endings
)
(*** include-it-raw ***)
(**
On the bowl, plain SGD crawls along the shallow $x$ direction (its rate is capped by the steep $y$ direction,
where $\eta > 2 / 10$ would diverge); momentum builds speed along $x$. On the valley every method reaches the
floor quickly and then creeps along it; the adaptive methods' per-coordinate scaling helps there, and the
learning rates matter as much as the method.

## A learning-rate sweep

The rates above were picked by hand. How sensitive is each method to that choice? A small network (2 inputs, 16
tanh units, 2 classes) on two interleaved half-moons, 300 full-batch steps from the same initial weights, for
learning rates from $10^{-4}$ to $10^{0.5}$:
*)
let moons = Hybrid.Data.ToyData.Moons(200, noise = 0.15, seed = 2)
let features = moons.Features().Map(float)

let targets =
    Matrix<float>
        .Build.Dense(moons.Count, 2, fun i c -> if moons.Labels[i] = c then 1.0 else 0.0)

let initial =
    let rng = MathNet.Numerics.Distributions.Normal(0.0, 1.0, Random 5)

    [|
        Matrix<float>.Build.Random(2, 16, rng) * 0.7
        Matrix<float>.Build.Dense(1, 16)
        Matrix<float>.Build.Random(16, 2, rng) * 0.25
        Matrix<float>.Build.Dense(1, 2)
    |]

/// The final training cost after 300 steps (infinity when it diverged).
let finalCost spec =
    let ps = initial |> Array.mapi (fun i m -> Graph.variable $"p{i}" (m.Clone()))
    let state = OptimizerState(spec, ps)

    let cost () =
        let a =
            Activations.tanh (
                Linalg.addRowVector (Linalg.matmul (Graph.constant features) ps[0]) ps[1]
            )

        Objectives.crossEntropyWithLogits
            (Linalg.addRowVector (Linalg.matmul a ps[2]) ps[3])
            (Graph.constant targets)

    for _ in 1..300 do
        state.ZeroGrad()
        Graph.backward (cost ())
        state.Step(OptimizerSpec.learningRate spec)

    let j = (cost ()).Value[0, 0]
    if Double.IsFinite j then j else infinity

let exponents = [ -4.0 .. 0.5..0.5 ]

let sweep =
    [
        for name, make in
            [
                "SGD", OptimizerSpec.sgd
                "momentum", (fun lr -> OptimizerSpec.momentum lr 0.9)
                "Nesterov", (fun lr -> OptimizerSpec.nesterov lr 0.9)
                "RMSProp", OptimizerSpec.rmsProp
                "Adam", OptimizerSpec.adam
            ] -> name, [ for e in exponents -> finalCost (make (10.0 ** e)) ]
    ]
(*** hide ***)
Chart
    .Lines(
        [
            for name, costs in sweep ->
                Series(name, List.toArray exponents, List.toArray costs)
        ],
        xTitle = "log₁₀ learning rate",
        yTitle = "training cost after 300 steps",
        logY = true
    )
    .ToHtml(
        "optimizer-sweep",
        "Final training cost against the learning rate (missing points diverged)."
    )
(*** include-it-raw ***)
(**
For each method, the best rate and how wide its good range is (the rates whose final cost is within twice the best):
*)
let summary =
    [
        for name, costs in sweep ->
            let best = List.min costs
            let bestAt = exponents[List.findIndex ((=) best) costs]

            let good =
                List.zip exponents costs
                |> List.filter (fun (_, c) -> c <= 2.0 * best)
                |> List.map fst

            [|
                name
                $"10^{bestAt}"
                $"{best:F4}"
                $"10^{List.min good} … 10^{List.max good}"
            |]
    ]

Hybrid.Examples.Course.Table(
    [| "optimizer"; "best rate"; "its cost"; "good range" |],
    summary
)
(*** include-it-raw ***)
(**
The adaptive methods' good ranges sit two to three orders of magnitude lower than SGD's: Adam's first step is
about $\eta$ per coordinate whatever the gradient, so its useful rates are near $10^{-2}$, while SGD's step is
$\eta g$ and its useful rates depend on the gradient's scale. The table says how wide each range is on this
problem; it is one problem, and one run per rate.

## Exercise: Adam's first step

<section class="exercise">

For a gradient $g_1$ (any non-zero values) and $\theta_0 = 0$, work out $\theta_1$ after Adam's first step with
$\eta = 0.01$, using the bias-corrected equations, and have `Check.close` compare it with the library's. An
answer that forgot the bias correction is refused:

</section>
*)
let g1 = Tensor.ofRows [| [| 0.5; -2.0; 40.0 |] |]

let firstStep (lr: float) =
    let p = Graph.variable "p" (Matrix<float>.Build.Dense(1, 3))
    let state = OptimizerState(OptimizerSpec.adam lr, [| p |])
    Graph.backward (Reduce.sum (Arith.mul (Graph.constant g1) p))
    state.Step lr
    p.Value

let noCorrection =
    let m, v = 0.1 * g1, 0.001 * g1.PointwiseMultiply g1
    -0.01 * m.PointwiseDivide(v.PointwiseSqrt() + 1e-8)

printfn "%O" (Check.close "Adam's first step" 1e-9 (firstStep 0.01) noCorrection)
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

$\hat m_1 = g_1$ and $\hat v_1 = g_1^2$, so $\theta_1 = -\eta\, g_1 / (|g_1| + \epsilon)$: about $-\eta$ times
the sign of each gradient, whatever its size.
*)
let answer = -0.01 * g1.PointwiseDivide(g1.PointwiseAbs() + 1e-8)

printfn
    "%O"
    (Check.close "Adam's first step" 1e-9 (firstStep 0.01) answer |> Check.orFail)
(*** include-output ***)
(**
</details>

Next: [Vectorization](vectorization.html), why all of this is written as matrix products.
*)
