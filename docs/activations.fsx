(**
---
title: Activation functions
category: The course
categoryindex: 2
index: 8
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Activation functions and their derivatives
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

Without a non-linear activation between them, stacked dense layers collapse into one linear map. The activation's
*derivative* matters as much as its shape: backpropagation multiplies by it at every layer, so where it is close to
zero, gradients vanish.

| activation | f(x) | f′(x) |
|---|---|---|
| sigmoid | 1 / (1 + e^(−x)) | f(x)(1 − f(x)), at most ¼ |
| tanh | (e^x − e^(−x)) / (e^x + e^(−x)) | 1 − f(x)², at most 1 |
| ReLU | max(0, x) | 0 for x < 0, 1 for x > 0 |
| leaky ReLU (α = 0.1) | x for x > 0, αx otherwise | 1 or α |
| softplus | log(1 + e^x) | σ(x) |

The curves below are computed by Hybrid's ops; the derivatives come from the backward pass, not from the formulas
above. Since every activation acts element by element, one backward pass of sum(f(x)) over a row of x values gives
f′ at every point at once.
*)
open Hybrid.Core
open Hybrid.Charts

let xs = [| for i in 0..240 -> -6.0 + 0.05 * float i |]

let activations: (string * (Node<float> -> Node<float>)) list =
    [
        "sigmoid", Activations.sigmoid
        "tanh", Activations.tanh
        "ReLU", Activations.relu
        "leaky ReLU (0.1)", Activations.leakyRelu 0.1
        "softplus", Activations.softplus
    ]

// Values and derivatives of f at every x, from one forward and one backward pass.
let valuesAndDerivatives (f: Node<float> -> Node<float>) =
    let x = Graph.variable "x" (Tensor.ofRows [| xs |])
    let y = f x
    let dy = (Graph.grad [ x ] (Reduce.sum y))[0]
    y.Value.Row(0).ToArray(), dy.Row(0).ToArray()

let curves = [ for name, f in activations -> name, valuesAndDerivatives f ]
(*** hide ***)
Chart
    .Lines(
        [ for name, (y, _) in curves -> Series(name, xs, y) ],
        "x",
        "f(x)",
        zeroY = false
    )
    .WithSize(480, 300)
    .ToHtml("activation-functions", "The five activations on [−6, 6].")
(*** include-it-raw ***)
(*** hide ***)
Chart
    .Lines([ for name, (_, dy) in curves -> Series(name, xs, dy) ], "x", "f′(x)")
    .WithSize(480, 300)
    .ToHtml("activation-derivatives", "Their derivatives, from Hybrid's backward pass.")
(*** include-it-raw ***)
(**
What to read in them:

* **sigmoid**'s derivative peaks at ¼: through ten sigmoid layers the slopes alone contribute a factor of at most
  $4^{-10} \approx 10^{-6}$ to a gradient. The weights multiply in too, one matrix per layer (the δ rule of
  [Backpropagation](backpropagation.html)), so large weights can offset it, but only by pushing the units towards
  saturation, where the slope is far below ¼. Its output is never negative, so it is not centred on zero. It remains the right choice for a probability at the output.
* **tanh** is a rescaled sigmoid (tanh x = 2σ(2x) − 1), centred on zero with derivative 1 at 0, but it saturates
  just as surely for |x| > 3.
* **ReLU** does not saturate for x > 0 (derivative exactly 1) and costs one comparison; a unit whose input is always
  negative receives no gradient at all and can "die".
* **leaky ReLU** keeps a small slope α below zero so that no unit dies.
* **softplus** is a smooth ReLU whose derivative is the sigmoid.

The largest gap between each derivative from the backward pass and its closed form, over the 241 points:
*)
let sigma x = 1.0 / (1.0 + exp -x)

let closedForms =
    [
        "sigmoid", (fun x -> sigma x * (1.0 - sigma x))
        "tanh", (fun x -> 1.0 - tanh x * tanh x)
        "ReLU", (fun x -> if x > 0.0 then 1.0 else 0.0)
        "leaky ReLU (0.1)", (fun x -> if x > 0.0 then 1.0 else 0.1)
        "softplus", sigma
    ]

let gaps =
    [
        for (name, (_, dy)), (_, exact) in List.zip curves closedForms ->
            name, Array.map2 (fun d x -> abs (d - exact x)) dy xs |> Array.max
    ]
(*** hide ***)
Hybrid.Examples.Course.Table(
    [| "activation"; "largest |backward − closed form|" |],
    [ for name, gap in gaps -> [| name; $"{gap:G3}" |] ]
)
(*** include-it-raw ***)
(**
## Exercise: the derivative of softplus

<section class="exercise">

Softplus is $\ln(1 + e^x)$. Work out its derivative, evaluate it at a row of points, and have `Check.gradient`
compare it with finite differences of $\sum_i \operatorname{softplus}(x_i)$. The derivative of tanh, a
different S-curve, is refused:

</section>
*)
let points =
    MathNet.Numerics.LinearAlgebra.Matrix<float>.Build.DenseOfRowArrays(
        [| [| -3.0; -0.5; 0.0; 1.2; 4.0 |] |]
    )

let softplusSum (m: MathNet.Numerics.LinearAlgebra.Matrix<float>[]) =
    m[0].Enumerate() |> Seq.sumBy (fun v -> log (1.0 + exp v))

printfn
    "%O"
    (Check.gradient
        "softplus′"
        softplusSum
        [| points |]
        [| points.Map(fun v -> 1.0 - tanh v * tanh v) |])
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

$\frac{d}{dx} \ln(1 + e^x) = \frac{e^x}{1 + e^x} = \sigma(x)$: softplus is the integral of the sigmoid.
*)
let answer = points.Map(fun v -> 1.0 / (1.0 + exp -v))

printfn
    "%O"
    (Check.gradient "softplus′" softplusSum [| points |] [| answer |] |> Check.orFail)
(*** include-output ***)
(**
</details>

Next: [Why random initialisation](symmetry.html).
*)
