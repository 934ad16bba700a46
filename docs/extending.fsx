(**
---
title: Extending Hybrid
category: Guides
categoryindex: 3
index: 2
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# Extending Hybrid: a new op and its proof

An op is its value and its local derivative, nothing more (see [the computational graph](graph.html)). This page
adds Swish, x·σ(x) (also called SiLU), first in C# and then in F#, and proves the derivative with a gradient check.

By the product rule, d/dx [x·σ(x)] = σ(x) + x·σ(x)(1 − σ(x)) = σ(x)(1 + x(1 − σ(x))).

## In C#

`Variable.Custom` takes the op's name, its inputs, its value and the backward rule: given the gradient of the final
result with respect to the op's output (and the index of an input), return the gradient with respect to that input.
For an element-wise op that is the output gradient times the local derivative, element by element:
*)
(*** hide ***)
Hybrid.Examples.Snippet.Html("Extending.cs", "swish")
(*** include-it-raw ***)
(**
`GradCheck.Check` differentiates any function of matrices built from Hybrid's ops twice, by the backward pass and by
central finite differences, and reports the worst disagreement. Here it checks Swish inside a larger expression:
*)
(*** hide ***)
Hybrid.Examples.Snippet.Html("Extending.cs", "check")
(*** include-it-raw ***)
(*** hide ***)
let passed = Hybrid.Examples.Extending.Check()
(*** include-output ***)
(**
A derivative that forgets the product rule is caught, and the report names the input element where the two
differ most:
*)
(*** hide ***)
Hybrid.Examples.Snippet.Html("Extending.cs", "wrong")
(*** include-it-raw ***)
(*** hide ***)
let failed = Hybrid.Examples.Extending.CheckWrong()
printfn "%O" failed
(*** include-output ***)
(**
## In F#

In the core, the same op is one call to `Graph.op`:
*)
open Hybrid.Core

let swish (x: Node<float>) =
    let s = x.Value.Map(fun v -> 1.0 / (1.0 + exp -v))
    let value = x.Value.PointwiseMultiply s

    Graph.op "swish" [| x |] value (fun g _ ->
        g.PointwiseMultiply(s + x.Value.PointwiseMultiply(s).PointwiseMultiply(1.0 - s)))

let result =
    GradientCheck.check
        (fun xs -> Reduce.mean (swish (Arith.mul xs[0] xs[1])))
        [|
            Tensor.ofRows [| [| -2.0; 0.3; 1.7 |]; [| 0.9; -0.4; 2.5 |] |]
            Tensor.ofRows [| [| 1.1; -0.8; 0.6 |]; [| -1.5; 2.0; 0.2 |] |]
        |]

printfn "%O" result
(*** include-output ***)
(**
The check differentiates through `mul` and `mean` as well as the new op: it proves that Swish's rule composes with
the rest of the graph.

## Swish and its derivative

Plotted from the op itself: the values from the forward pass, the derivative from the backward pass, and finite
differences of the values for comparison.
*)
open Hybrid.Charts

let xs = [| for i in 0..160 -> -6.0 + 0.075 * float i |]
let x = Graph.variable "x" (Tensor.ofRows [| xs |])
let y = swish x
let dy = (Graph.grad [ x ] (Reduce.sum y))[0]
let h = 1e-5

let numeric =
    [|
        for v in xs ->
            ((v + h) / (1.0 + exp (-(v + h))) - (v - h) / (1.0 + exp (-(v - h))))
            / (2.0 * h)
    |]
(*** hide ***)
Chart
    .Layer(
        Chart.Lines(
            [
                Series("swish(x)", xs, y.Value.Row(0).ToArray())
                Series("derivative, backward pass", xs, dy.Row(0).ToArray())
            ],
            "x",
            "",
            zeroY = false
        ),
        Chart.Points(
            Array.chunkBySize 4 xs |> Array.map Array.head,
            Array.chunkBySize 4 numeric |> Array.map Array.head,
            Array.create 41 "derivative, finite differences"
        )
    )
    .WithSize(480, 280)
    .ToHtml(
        "swish",
        "Swish and its derivative: the backward pass (line) and finite differences (points) coincide."
    )
(*** include-it-raw ***)
(**
To make a new op available to models, add it to the core next to its relatives (an `Ops.*.fs` file), give it a
property test in `tests/Hybrid.Core.Tests` with a generator that keeps inputs where the op is smooth, and the test
suite checks it against finite differences on every provider.
*)
