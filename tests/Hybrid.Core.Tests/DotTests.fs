module Hybrid.Core.Tests.DotTests

open Xunit
open Hybrid.Core

[<Fact>]
let ``a graph is written as DOT with each node's op, value and gradient`` () =
    let w = Graph.variable "w" (Tensor.scalar 0.5)
    let x = Graph.constant (Tensor.scalar 2.0)
    let y = Activations.sigmoid (Arith.mul w x)
    Graph.backwardWith true (Tensor.ones Shape.scalar) y
    let dot = Dot.ofNode y
    Assert.StartsWith("digraph", dot)
    Assert.Contains("variable w", dot)
    Assert.Contains("sigmoid", dot)
    Assert.Contains("value [0.5]", dot)
    // dσ(wx)/dw = σ(1)(1 − σ(1))·x = 0.3932
    Assert.Contains("grad [0.3932]", dot)
    // Four nodes (w, x, mul, sigmoid) and three edges.
    Assert.Equal(3, dot.Split("->").Length - 1)

[<Fact>]
let ``large values are summarised by shape and range`` () =
    let m =
        Graph.constant (
            Tensor.ofRows<float>
                [|
                    [| 1.0; 2.0; 3.0; 4.0 |]
                    [| -1.0; 0.0; 0.0; 9.0 |]
                    [| 0.0; 0.0; 0.0; 0.0 |]
                |]
        )

    Assert.Contains("3×4 in [-1, 9]", Dot.ofNode m)
