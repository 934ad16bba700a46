module Hybrid.Core.Tests.DotTests

open Expecto
open Hybrid.Core

[<Tests>]
let tests =
    testList
        "Dot"
        [
            testCase "a graph is written as DOT with each node's op, value and gradient" (fun () ->
                let w = Graph.variable "w" (Tensor.scalar 0.5)
                let x = Graph.constant (Tensor.scalar 2.0)
                let y = Activations.sigmoid (Arith.mul w x)
                Graph.backwardWith true (Tensor.ones Shape.scalar) y
                let dot = Dot.ofNode y
                Expect.stringStarts dot "digraph" "a digraph"
                Expect.stringContains dot "variable w" "the variable's name"
                Expect.stringContains dot "sigmoid" "the op"
                Expect.stringContains dot "value [0.5]" "the value"
                // dσ(wx)/dw = σ(1)(1 − σ(1))·x = 0.3932
                Expect.stringContains dot "grad [0.3932]" "the gradient"
                // Four nodes (w, x, mul, sigmoid) and three edges.
                Expect.equal (dot.Split("->").Length - 1) 3 "three edges")

            testCase "large values are summarised by shape and range" (fun () ->
                let m =
                    Graph.constant (
                        Tensor.ofRows<float>
                            [|
                                [| 1.0; 2.0; 3.0; 4.0 |]
                                [| -1.0; 0.0; 0.0; 9.0 |]
                                [| 0.0; 0.0; 0.0; 0.0 |]
                            |]
                    )

                Expect.stringContains (Dot.ofNode m) "3×4 in [-1, 9]" "shape and range")
        ]
