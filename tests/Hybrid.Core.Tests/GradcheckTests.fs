module Hybrid.Core.Tests.GradcheckTests

open Xunit
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

/// x² with a correct derivative, 2x.
let private square (x: Node<float>) =
    Graph.op "square" [| x |] (x.Value.PointwiseMultiply x.Value) (fun g _ -> g.PointwiseMultiply(x.Value.Multiply 2.0))

/// x² with a deliberately wrong derivative: x instead of 2x.
let private wrongSquare (x: Node<float>) =
    Graph.op "square" [| x |] (x.Value.PointwiseMultiply x.Value) (fun g _ -> g.PointwiseMultiply x.Value)

[<Fact>]
let ``gradcheck passes a correct user-defined op`` () =
    let result =
        GradientCheck.check
            (fun x -> Reduce.sum (square x[0]))
            [| Tensor.ofRows [| [| 1.0; -2.0 |]; [| 0.5; 3.0 |] |] |]

    Assert.True(result.Passed, string result)
    Assert.Equal(4, result.Checked)
    Assert.True(result.MaxError < 1e-8)

[<Fact>]
let ``gradcheck catches a deliberately wrong derivative and says where`` () =
    let result =
        GradientCheck.check
            (fun x -> Reduce.sum (wrongSquare x[0]))
            [| Tensor.ofRows [| [| 0.25; -0.4 |]; [| 0.1; 3.0 |] |] |]

    Assert.False(result.Passed)
    // Errors |x − 2x| / max(1, |2x|): 0.25, 0.4, 0.1 and, the worst, 3/6 at x = 3.
    Assert.Equal((0, 1, 1), (result.Input, result.Row, result.Col))
    Assert.Equal(3.0, result.Analytic, 6)
    Assert.Equal(6.0, result.Numeric, 6)
    Assert.Equal(0.5, result.MaxError, 6)
    Assert.Contains("FAILED", string result)

[<Fact>]
let ``gradcheck catches a wrong derivative on every random input`` () =
    check (sameShape 1 Domain.awayFromZero) (fun case ->
        not (GradientCheck.check (fun x -> Reduce.sum (wrongSquare x[0])) case.Inputs).Passed
        |> Prop.ofTestable)

[<Fact>]
let ``gradcheck contracts a non-scalar output so every element's gradient is checked`` () =
    let input = [| Tensor.ofRows [| [| 1.0; -2.0; 4.0 |] |] |]
    Assert.True((GradientCheck.check (fun x -> square x[0]) input).Passed)
    Assert.False((GradientCheck.check (fun x -> wrongSquare x[0]) input).Passed)

[<Fact>]
let ``gradcheck reports a non-finite gradient as a failure`` () =
    let result =
        GradientCheck.check (fun x -> Reduce.sum (Pointwise.log x[0])) [| Tensor.ofRows [| [| 0.0 |] |] |]

    Assert.False(result.Passed)

[<Fact>]
let ``the error is relative above one and absolute below`` () =
    Assert.Equal(0.5, GradientCheck.error 100.0 50.0, 12)
    Assert.Equal(1e-3, GradientCheck.error 1e-3 0.0, 12)
