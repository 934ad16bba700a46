module Hybrid.Core.Tests.LinalgTests

open Xunit
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

/// a (m×k or k×m when transposed) and b (k×n or n×k), from dims [m; k; n].
let private products transposeA transposeB =
    cases 3 (fun d ->
        let m, k, n = d[0], d[1], d[2]

        [|
            (if transposeA then
                 (k, m, Domain.any)
             else
                 (m, k, Domain.any))
            (if transposeB then
                 (n, k, Domain.any)
             else
                 (k, n, Domain.any))
        |])

let private flags = [ false, false; true, false; false, true; true, true ]

[<Fact>]
let ``matmul gradient matches finite differences with either operand transposed`` () =
    for ta, tb in flags do
        let name = (if ta then "a^T" else "a") + " " + (if tb then "b^T" else "b")
        gradientMatches $"matmul {name}" (products ta tb) (fun x -> Linalg.matmulWith ta tb x[0] x[1])

[<Fact>]
let ``matmul with transpose flags equals the product of transposed matrices`` () =
    for ta, tb in flags do
        check (products ta tb) (fun case ->
            let a, b = case.Inputs[0], case.Inputs[1]
            let expected = (if ta then a.Transpose() else a) * (if tb then b.Transpose() else b)
            let actual = (Linalg.matmulWith ta tb (Graph.constant a) (Graph.constant b)).Value
            close 1e-12 actual expected |> Prop.ofTestable)

[<Fact>]
let ``matmul with unequal inner dimensions names both shapes`` () =
    let a = Graph.constant (Tensor.zeros<float>(Shape.create 2 3))
    let b = Graph.constant (Tensor.zeros<float>(Shape.create 4 5))
    let e = Assert.Throws<ShapeMismatchException>(fun () -> Linalg.matmul a b |> ignore)
    Assert.Equal("matmul", e.Op)
    Assert.Contains("2×3", e.Message)
    Assert.Contains("4×5", e.Message)
    Assert.Contains("inner dimensions 3 and 4", e.Message)

[<Fact>]
let ``transpose gradient matches finite differences`` () =
    gradientMatches "transpose" (sameShape 1 Domain.any) (fun x -> Linalg.transpose x[0])

[<Fact>]
let ``addRowVector gradient matches finite differences`` () =
    gradientMatches "addRowVector" (cases 2 (fun d -> [| (d[0], d[1], Domain.any); (1, d[1], Domain.any) |])) (fun x ->
        Linalg.addRowVector x[0] x[1])

[<Fact>]
let ``addRowVector equals broadcasting add`` () =
    check (cases 2 (fun d -> [| (d[0], d[1], Domain.any); (1, d[1], Domain.any) |])) (fun case ->
        let x, b = Graph.constant case.Inputs[0], Graph.constant case.Inputs[1]

        close 1e-12 (Linalg.addRowVector x b).Value (Arith.add x b).Value
        |> Prop.ofTestable)

[<Fact>]
let ``addRowVector refuses a bias that is not one row of the right width`` () =
    let x = Graph.constant (Tensor.zeros<float>(Shape.create 4 3))
    let b = Graph.constant (Tensor.zeros<float>(Shape.create 1 2))

    let e =
        Assert.Throws<ShapeMismatchException>(fun () -> Linalg.addRowVector x b |> ignore)

    Assert.Contains("1×3", e.Message)
