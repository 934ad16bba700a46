module Hybrid.Core.Tests.GraphTests

open System
open Xunit
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

let private scalar (x: float) = Tensor.scalar x

[<Fact>]
let ``backward derives a scalar expression by the chain rule`` () =
    // f(a, b) = (a·b + a)²  ⇒  df/da = 2(ab + a)(b + 1), df/db = 2(ab + a)a.
    let a = Graph.variable "a" (scalar 3.0)
    let b = Graph.variable "b" (scalar -2.0)
    let f = Pointwise.pow 2.0 (Arith.add (Arith.mul a b) a)
    Graph.backward f
    Assert.Equal(9.0, f.Value[0, 0], 12)
    Assert.Equal(2.0 * -3.0 * -1.0, a.Grad.Value[0, 0], 12)
    Assert.Equal(2.0 * -3.0 * 3.0, b.Grad.Value[0, 0], 12)

[<Fact>]
let ``gradients accumulate over fan-out: a node used twice receives both contributions`` () =
    check (sameShape 1 Domain.any) (fun case ->
        // f = Σ (x ⊙ x + x) ⇒ df/dx = 2x + 1: x feeds three edges.
        let x = Graph.variable "x" case.Inputs[0]
        Graph.backward (Reduce.sum (Arith.add (Arith.mul x x) x))

        close 1e-12 x.Grad.Value (case.Inputs[0].Multiply(2.0).Add 1.0)
        |> Prop.ofTestable)

[<Fact>]
let ``fan-out through a shared intermediate node is counted once per path`` () =
    let x = Graph.variable "x" (scalar 0.5)
    let h = Activations.tanh x // used by both branches
    let f = Arith.add (Arith.mul h h) (Arith.mulScalar 3.0 h)
    Graph.backward f
    let t = tanh 0.5
    Assert.Equal((2.0 * t + 3.0) * (1.0 - t * t), x.Grad.Value[0, 0], 12)

[<Fact>]
let ``variable gradients accumulate across backward passes until zeroGrad`` () =
    let x = Graph.variable "x" (scalar 2.0)
    Graph.backward (Arith.mul x x)
    Graph.backward (Arith.mul x x)
    Assert.Equal(8.0, x.Grad.Value[0, 0], 12)
    x.ZeroGrad()
    Assert.True(x.Grad.IsNone)

[<Fact>]
let ``grad returns only the chosen gradients and leaves Grad untouched`` () =
    let a = Graph.variable "a" (scalar 3.0)
    let b = Graph.variable "b" (scalar 5.0)
    let f = Arith.mul a b
    let g = Graph.grad [ b ] f
    Assert.Equal(3.0, g[0][0, 0], 12)
    Assert.True(a.Grad.IsNone)
    Assert.True(b.Grad.IsNone)

[<Fact>]
let ``grad differentiates only the paths that reach the chosen variables`` () =
    let called = ref 0

    let spy (x: Node<float>) =
        Graph.op "spy" [| x |] x.Value (fun g _ ->
            called.Value <- called.Value + 1
            g)

    let a = Graph.variable "a" (scalar 1.0)
    let b = Graph.variable "b" (scalar 2.0)
    let f = Arith.add (spy a) b
    Graph.grad [ b ] f |> ignore
    Assert.Equal(0, called.Value)

[<Fact>]
let ``grad with respect to a variable the output does not depend on is zero`` () =
    let a = Graph.variable "a" (scalar 1.0)
    let unused = Graph.variable "u" (Tensor.ones<float>(Shape.create 2 3))
    let g = Graph.grad [ unused ] (Arith.mul a a)
    Assert.True(close 0.0 g[0] (Tensor.zeros (Shape.create 2 3)))

[<Fact>]
let ``constants receive no gradient`` () =
    let x = Graph.variable "x" (scalar 2.0)
    let c = Graph.constant (scalar 3.0)
    Graph.backward (Arith.mul x c)
    Assert.True(c.Grad.IsNone)
    Assert.False((Arith.mul c c).RequiresGrad)

    Assert.Throws<ArgumentException>(fun () -> Graph.grad [ c ] (Arith.mul x c) |> ignore)
    |> ignore

[<Fact>]
let ``the graph is released after backward unless kept`` () =
    let x = Graph.variable "x" (scalar 2.0)
    let y = Arith.mul x x
    Graph.backward y
    Assert.True(y.IsReleased)
    Assert.Empty(y.Inputs)
    let e = Assert.Throws<InvalidOperationException>(fun () -> Graph.backward y)
    Assert.Contains("released", e.Message)
    Assert.Contains("keepGraph", e.Message)

[<Fact>]
let ``a kept graph can be differentiated twice`` () =
    let x = Graph.variable "x" (scalar 2.0)
    let y = Arith.mul x x
    Graph.backwardWith true (Tensor.ones Shape.scalar) y
    Assert.False(y.IsReleased)
    Graph.backward y
    Assert.Equal(8.0, x.Grad.Value[0, 0], 12)

[<Fact>]
let ``backward of a non-scalar output asks for a reduction or a seed`` () =
    let x = Graph.variable "x" (Tensor.ones<float>(Shape.create 2 2))
    let e = Assert.Throws<ArgumentException>(fun () -> Graph.backward (Arith.mul x x))
    Assert.Contains("2×2", e.Message)
    Assert.Contains("not a scalar", e.Message)

[<Fact>]
let ``a seed gradient of the wrong shape is refused`` () =
    let x = Graph.variable "x" (Tensor.ones<float>(Shape.create 2 2))

    Assert.Throws<ShapeMismatchException>(fun () -> Graph.backwardWith false (Tensor.ones Shape.scalar) (Arith.mul x x))
    |> ignore

[<Fact>]
let ``a custom op whose derivative has the wrong shape is named`` () =
    let x = Graph.variable "x" (Tensor.ones<float>(Shape.create 2 3))

    let bad =
        Graph.op "myOp" [| x |] (Tensor.ones Shape.scalar) (fun _ _ -> Tensor.ones (Shape.create 3 2))

    let e = Assert.Throws<ShapeMismatchException>(fun () -> Graph.backward bad)
    Assert.Contains("myOp", e.Message)

[<Fact>]
let ``a chain of ten thousand ops differentiates without overflowing the stack`` () =
    let x = Graph.variable "x" (scalar 1.0)
    let mutable y = x

    for _ in 1..10_000 do
        y <- Arith.addScalar 1.0 y

    Graph.backward y
    Assert.Equal(1.0, x.Grad.Value[0, 0], 12)

[<Fact>]
let ``topological order puts every node after its inputs`` () =
    let a = Graph.variable "a" (scalar 1.0)
    let b = Graph.variable "b" (scalar 2.0)
    let c = Arith.mul a b
    let d = Arith.add c a
    let order = Graph.topologicalOrder d |> Array.toList

    let at n =
        order |> List.findIndex (fun m -> obj.ReferenceEquals(m, n))

    Assert.Equal(4, order.Length)
    Assert.True(at a < at c && at b < at c && at c < at d)
