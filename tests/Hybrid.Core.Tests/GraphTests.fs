module Hybrid.Core.Tests.GraphTests

open System
open Expecto
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

let private scalar (x: float) = Tensor.scalar x

[<Tests>]
let tests =
    testList
        "Graph"
        [
            testCase "backward derives a scalar expression by the chain rule" (fun () ->
                // f(a, b) = (a·b + a)²  ⇒  df/da = 2(ab + a)(b + 1), df/db = 2(ab + a)a.
                let a = Graph.variable "a" (scalar 3.0)
                let b = Graph.variable "b" (scalar -2.0)
                let f = Pointwise.pow 2.0 (Arith.add (Arith.mul a b) a)
                Graph.backward f
                Expect.equalDigits 12 f.Value[0, 0] 9.0 "f"
                Expect.equalDigits 12 a.Grad.Value[0, 0] (2.0 * -3.0 * -1.0) "df/da"
                Expect.equalDigits 12 b.Grad.Value[0, 0] (2.0 * -3.0 * 3.0) "df/db")

            testPropertyWithConfig
                config
                "gradients accumulate over fan-out: a node used twice receives both contributions"
                (Prop.forAll (sameShape 1 Domain.any) (fun case ->
                    // f = Σ (x ⊙ x + x) ⇒ df/dx = 2x + 1: x feeds three edges.
                    let x = Graph.variable "x" case.Inputs[0]
                    Graph.backward (Reduce.sum (Arith.add (Arith.mul x x) x))

                    close 1e-12 x.Grad.Value (case.Inputs[0].Multiply(2.0).Add 1.0)
                    |> Prop.ofTestable))

            testCase "fan-out through a shared intermediate node is counted once per path" (fun () ->
                let x = Graph.variable "x" (scalar 0.5)
                let h = Activations.tanh x // used by both branches
                let f = Arith.add (Arith.mul h h) (Arith.mulScalar 3.0 h)
                Graph.backward f
                let t = tanh 0.5
                Expect.equalDigits 12 x.Grad.Value[0, 0] ((2.0 * t + 3.0) * (1.0 - t * t)) "df/dx")

            testCase "variable gradients accumulate across backward passes until zeroGrad" (fun () ->
                let x = Graph.variable "x" (scalar 2.0)
                Graph.backward (Arith.mul x x)
                Graph.backward (Arith.mul x x)
                Expect.equalDigits 12 x.Grad.Value[0, 0] 8.0 "two passes of 2x at x = 2"
                x.ZeroGrad()
                Expect.isTrue x.Grad.IsNone "no gradient after zeroGrad")

            testCase "grad returns only the chosen gradients and leaves Grad untouched" (fun () ->
                let a = Graph.variable "a" (scalar 3.0)
                let b = Graph.variable "b" (scalar 5.0)
                let f = Arith.mul a b
                let g = Graph.grad [ b ] f
                Expect.equalDigits 12 (g[0][0, 0]) 3.0 "df/db"
                Expect.isTrue a.Grad.IsNone "a.Grad untouched"
                Expect.isTrue b.Grad.IsNone "b.Grad untouched")

            testCase "grad differentiates only the paths that reach the chosen variables" (fun () ->
                let called = ref 0

                let spy (x: Node<float>) =
                    Graph.op "spy" [| x |] x.Value (fun g _ ->
                        called.Value <- called.Value + 1
                        g)

                let a = Graph.variable "a" (scalar 1.0)
                let b = Graph.variable "b" (scalar 2.0)
                let f = Arith.add (spy a) b
                Graph.grad [ b ] f |> ignore
                Expect.equal called.Value 0 "the spy's derivative is never called")

            testCase "grad with respect to a variable the output does not depend on is zero" (fun () ->
                let a = Graph.variable "a" (scalar 1.0)
                let unused = Graph.variable "u" (Tensor.ones<float>(Shape.create 2 3))
                let g = Graph.grad [ unused ] (Arith.mul a a)
                Expect.isTrue (close 0.0 g[0] (Tensor.zeros (Shape.create 2 3))) "a 2×3 zero gradient")

            testCase "constants receive no gradient" (fun () ->
                let x = Graph.variable "x" (scalar 2.0)
                let c = Graph.constant (scalar 3.0)
                Graph.backward (Arith.mul x c)
                Expect.isTrue c.Grad.IsNone "the constant has no gradient"
                Expect.isFalse (Arith.mul c c).RequiresGrad "an op on constants requires no gradient"

                Expect.throwsExactly<ArgumentException>(fun () -> Graph.grad [ c ] (Arith.mul x c) |> ignore)
                |> ignore)

            testCase "the graph is released after backward unless kept" (fun () ->
                let x = Graph.variable "x" (scalar 2.0)
                let y = Arith.mul x x
                Graph.backward y
                Expect.isTrue y.IsReleased "released"
                Expect.isEmpty y.Inputs "no inputs kept"
                let e = Expect.throwsExactly<InvalidOperationException>(fun () -> Graph.backward y)
                Expect.stringContains e.Message "released" "the message says why"
                Expect.stringContains e.Message "keepGraph" "the message says what to do")

            testCase "a kept graph can be differentiated twice" (fun () ->
                let x = Graph.variable "x" (scalar 2.0)
                let y = Arith.mul x x
                Graph.backwardWith true (Tensor.ones Shape.scalar) y
                Expect.isFalse y.IsReleased "kept"
                Graph.backward y
                Expect.equalDigits 12 x.Grad.Value[0, 0] 8.0 "two passes of 2x at x = 2")

            testCase "backward of a non-scalar output asks for a reduction or a seed" (fun () ->
                let x = Graph.variable "x" (Tensor.ones<float>(Shape.create 2 2))

                let e =
                    Expect.throwsExactly<ArgumentException>(fun () -> Graph.backward (Arith.mul x x))

                Expect.stringContains e.Message "2×2" "the message names the shape"
                Expect.stringContains e.Message "not a scalar" "the message says why")

            testCase "a seed gradient of the wrong shape is refused" (fun () ->
                let x = Graph.variable "x" (Tensor.ones<float>(Shape.create 2 2))

                Expect.throwsExactly<ShapeMismatchException>(fun () ->
                    Graph.backwardWith false (Tensor.ones Shape.scalar) (Arith.mul x x))
                |> ignore)

            testCase "a custom op whose derivative has the wrong shape is named" (fun () ->
                let x = Graph.variable "x" (Tensor.ones<float>(Shape.create 2 3))

                let bad =
                    Graph.op "myOp" [| x |] (Tensor.ones Shape.scalar) (fun _ _ -> Tensor.ones (Shape.create 3 2))

                let e = Expect.throwsExactly<ShapeMismatchException>(fun () -> Graph.backward bad)
                Expect.stringContains e.Message "myOp" "the message names the op")

            testCase "a chain of ten thousand ops differentiates without overflowing the stack" (fun () ->
                let x = Graph.variable "x" (scalar 1.0)
                let mutable y = x

                for _ in 1..10_000 do
                    y <- Arith.addScalar 1.0 y

                Graph.backward y
                Expect.equalDigits 12 x.Grad.Value[0, 0] 1.0 "dy/dx")

            testCase "topological order puts every node after its inputs" (fun () ->
                let a = Graph.variable "a" (scalar 1.0)
                let b = Graph.variable "b" (scalar 2.0)
                let c = Arith.mul a b
                let d = Arith.add c a
                let order = Graph.topologicalOrder d |> Array.toList

                let at n =
                    order |> List.findIndex (fun m -> obj.ReferenceEquals(m, n))

                Expect.equal order.Length 4 "four nodes"
                Expect.isTrue (at a < at c && at b < at c && at c < at d) "inputs come first")
        ]
