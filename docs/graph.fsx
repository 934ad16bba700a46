(**
---
title: The computational graph
category: The course
categoryindex: 2
index: 1
---
*)
(*** hide ***)
#load "../tests/Hybrid.Examples/References.fsx"
(**
# The computational graph
*)
(*** hide ***)
Hybrid.Examples.Course.Notation
(*** include-it-raw ***)
(**

A neural network is a long composition of simple functions, and training needs the derivative of the loss
with respect to every weight. Hybrid never differentiates the composition as a whole. Each *elementary* op
(add, multiply, `exp`, `tanh`, a matrix product, …) knows only two things:

* its **value**, computed from its inputs' values (the forward pass), and
* its **local derivative**: given the gradient of the final result with respect to the op's output, the gradient with
  respect to each of its inputs.

Chaining these local rules backwards from the output, in reverse topological order, *is* the chain rule.
That walk is `Graph.backward`, and it is the whole of reverse-mode differentiation.

## A small expression

Take L = (a·b + c)·f with a = 2, b = −3, c = 10, f = −2. Every value is a matrix (here 1×1), every leaf a
`Graph.variable`:
*)
open Hybrid.Core

let leaf name (v: float) = Graph.variable name (Tensor.scalar v)
let a, b, c, f = leaf "a" 2.0, leaf "b" -3.0, leaf "c" 10.0, leaf "f" -2.0

let e = Arith.mul a b // e = a·b   = −6
let d = Arith.add e c // d = e + c = 4
let L = Arith.mul d f // L = d·f   = −8
(**
The backward pass starts from dL/dL = 1 and visits L, d, e in turn. Multiplication's local rule sends
the gradient to each factor times the *other* factor; addition passes it through unchanged:

* dL/dd = f = −2 and dL/df = d = 4 (the rule of `mul` at L);
* dL/de = dL/dc = dL/dd = −2 (the rule of `add` at d);
* dL/da = dL/de · b = 6 and dL/db = dL/de · a = −4 (the rule of `mul` at e).

Hybrid computes the same. (`backwardWith true` keeps the graph, so that it can be drawn afterwards.)
*)
Graph.backwardWith true (Tensor.ones Shape.scalar) L

let gradients = [ for v in [ a; b; c; f ] -> v.Name, v.Grad.Value[0, 0] ]
(*** hide ***)
Hybrid.Examples.Course.Table(
    [| "node"; "dL/dnode" |],
    [ for name, g in gradients -> [| name; $"{g}" |] ]
)
(*** include-it-raw ***)
(**
`Dot.ofNode` writes the graph in Graphviz's language, each node with its op, value and gradient; Graphviz lays it
out (leaves in blue, ops in white):
*)
(*** hide ***)
Hybrid.Charts.Figure.Html(
    "expression-graph",
    Hybrid.Charts.Drawing.Graphviz(Dot.ofNode L),
    "L = (a·b + c)·f after the backward pass: each node's value and the gradient dL/dnode."
)
(*** include-it-raw ***)
(**
## A node used twice

When a value feeds two ops, its gradient is the *sum* of what flows back along both paths. Nothing special is
needed: the backward walk adds contributions as they arrive. For y = x·x + x at x = 3, dy/dx = 2x + 1 = 7:
*)
let x = leaf "x" 3.0
let y = Arith.add (Arith.mul x x) x
Graph.backward y
let dydx = x.Grad.Value[0, 0]
printfn $"dy/dx = {dydx}"
(*** include-output ***)
(**
## Composite functions come for free

Because only elementary ops carry derivatives, anything built from them is differentiable. Here is the logistic
sigmoid written by hand as 1 / (1 + e^(−z)), against the library's `Activations.sigmoid` (which has its own
fused rule σ(z)(1 − σ(z))). The gradients agree to the last digits:
*)
let z0 = Tensor.ofRows<float> [| [| -2.0; -0.5; 0.0; 0.5; 2.0 |] |]

let handmade (z: Node<float>) =
    let one = Graph.constant (Tensor.ones (Tensor.shape z.Value))
    Arith.div one (Arith.add one (Pointwise.exp (Arith.neg z)))

let gradientOf (sigmoid: Node<float> -> Node<float>) =
    let z = Graph.variable "z" z0
    (Graph.grad [ z ] (Reduce.sum (sigmoid z)))[0]

let difference =
    (gradientOf handmade - gradientOf Activations.sigmoid).Enumerate()
    |> Seq.map abs
    |> Seq.max

printfn $"largest difference: {difference:G3}"
(*** include-output ***)
(**
## Checking a derivative: `gradcheck`

A new op is one call to `Graph.op`: its name, inputs, value and local rule. `GradientCheck.check` then compares the
gradients the graph computes with central finite differences, (f(x + h) − f(x − h)) / 2h for each input element,
in float64. Here is a cube op, d(x³)/dx = 3x²:
*)
let cube (x: Node<float>) =
    let v = x.Value

    Graph.op "cube" [| x |] (v.PointwisePower 3.0) (fun g _ ->
        g.PointwiseMultiply(3.0 * v.PointwisePower 2.0))

let check =
    GradientCheck.check
        (fun xs -> Reduce.sum (cube xs[0]))
        [| Tensor.ofRows [| [| 0.5; -1.2; 2.0 |]; [| 1.5; 0.1; -0.7 |] |] |]

printfn "%O" check
(*** include-output ***)
(**
Had the rule said 2x² instead of 3x², the check would fail and name the worst element. The page
[Extending Hybrid](extending.html) does that on purpose.

## Exercise: the backward rule of sin

<section class="exercise">

Write an op `sine` with `Graph.op`: its value $\sin x$ element by element, and its local rule, the gradient $g$
arriving at the output turned into the gradient at the input. `Check.backward` runs the gradient check on it. A rule
with the wrong sign, $-g \odot \cos x$, is refused:

</section>
*)
let sineWith (slope: float -> float) (x: Node<float>) =
    let v = x.Value

    Graph.op "sine" [| x |] (v.PointwiseSin()) (fun g _ ->
        g.PointwiseMultiply(v.Map(fun a -> slope a)))

let at = [| Tensor.ofRows [| [| 0.3; -1.1; 2.5 |] |] |]

printfn
    "%O"
    (Check.backward "sine" (fun xs -> Reduce.sum (sineWith (fun a -> -(cos a)) xs[0])) at)
(*** include-output ***)
(**
<details class="solution"><summary>Solution (the build runs it, and Check passes it)</summary>

$\frac{d}{dx} \sin x = \cos x$, so the rule is $g \odot \cos x$.
*)
printfn
    "%O"
    (Check.backward "sine" (fun xs -> Reduce.sum (sineWith cos xs[0])) at
     |> Check.orFail)
(*** include-output ***)
(**
</details>

Next: [Perceptron and XOR](perceptron.html).
*)
