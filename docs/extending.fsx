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
To make a new op available to the graph, add it to the core next to its relatives (an `Ops.*.fs` file), give it a
property test in `tests/Hybrid.Core.Tests` with a generator that keeps inputs where the op is smooth, and the test
suite checks it against finite differences on every provider.

## In a network: your own activation and your own layer

A model takes an activation of your own as it takes ReLU: `Activation.Custom` from f(x) and f′(x, y) (y = f(x) is
handed in, so Swish's derivative needs one exponential: σ(x) + y(1 − σ(x))). Adding it to a network checks the
derivative against finite differences and refuses a wrong one, naming the layer; the fused training step runs both
functions in its loop over each batch's buffer. Or build it from `Variable` ops, `Activation.Custom(name, f32, f64)` with
the same f over float and double variables (`x * x.Sigmoid()`): its derivative is then the graph's, and both training
paths record its graph once per block shape and replay it in place.

A layer of your own is a `CustomLayer`: its name, its output width, its named parameters with their shapes and
initializers, and its output built from `Variable` ops, for any element type (float32 to train, float64 for the
gradient check that `.Layer` runs as it adds it). Here, a scale and a shift per feature:
*)
open System
open System.Collections.Generic
open System.Numerics
open Hybrid
open Hybrid.Autograd
open Hybrid.Data

let sigma x = 1.0 / (1.0 + exp -x)

let swishActivation =
    let f x = x * sigma x
    let df x y = sigma x + y * (1.0 - sigma x)
    Activation.Custom("Swish", f, df)

/// y = x ⊙ (1 + s) + t, a scale and a shift per feature.
type Affine() =
    inherit CustomLayer()
    override _.Name = "Affine"
    override _.Outputs inputs = inputs

    override _.Parameters inputs =
        [|
            LayerParameter("scale", 1, inputs)
            LayerParameter("shift", 1, inputs, WeightInit.Zeros)
        |]

    override _.Forward<'T
        when 'T: struct
        and 'T: (new: unit -> 'T)
        and 'T :> ValueType
        and 'T :> IFloatingPointIeee754<'T>>
        (x: Variable<'T>, p: IReadOnlyDictionary<string, Variable<'T>>)
        =
        x * (p["scale"] + 1.0) + p["shift"]

let custom =
    Network
        .Sequential(2)
        .Dense(16, swishActivation)
        .Layer(Affine())
        .Dense(1)
        .Compile(Loss.BinaryCrossEntropyWithLogits, Optimizer.Adam 0.05, seed = 1)

let moons = ToyData.Moons(400, 0.1, 1)
custom.Fit(moons, epochs = 100, batchSize = 32) |> ignore
printfn "%s" (custom.Summary().ToString())
printfn $"training accuracy %.1f{100.0 * custom.Evaluate(moons).Accuracy}%%"
(*** include-output ***)
(**
The summary says which path each layer takes: the dense layers and Swish on the fused kernels, the custom layer as a
graph between them, on the step's buffers: recorded on the first step at each batch size and replayed after, each op
computed in place, so that a warmed step allocates nothing (a forward whose graph depends on the values, which a record
cannot follow, is detected on the first replay and rebuilt every step). `LayerRegistry.Register(swishActivation)` and `LayerRegistry.Register(Affine())`
let `Network.Load` read a saved model that names them.

A built-in activation is one `ActivationRule` in `src/Hybrid.Core/Activation.fs`: a case of `ActivationFunction`,
the rule's forward and backward kernels (vectorised), and one line in `ActivationFunction.rule`; then its public name
in `src/Hybrid/Activation.cs` and its saved name in `ModelFileValidation`. Neither trainer changes: both run the rule.
*)
