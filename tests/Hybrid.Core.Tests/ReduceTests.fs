module Hybrid.Core.Tests.ReduceTests

open System
open Xunit
open FsCheck.FSharp
open Hybrid.Core
open Hybrid.Core.Tests.Generators

[<Fact>]
let ``sum gradient matches finite differences`` () =
    gradientMatches "sum" (sameShape 1 Domain.any) (fun x -> Reduce.sum x[0])

[<Fact>]
let ``mean gradient matches finite differences`` () =
    gradientMatches "mean" (sameShape 1 Domain.any) (fun x -> Reduce.mean x[0])

[<Fact>]
let ``sum along an axis gradient matches finite differences`` () =
    for axis in [ 0; 1 ] do
        gradientMatches $"sum(axis={axis})" (sameShape 1 Domain.any) (fun x -> Reduce.sumAxis axis x[0])

[<Fact>]
let ``mean along an axis gradient matches finite differences`` () =
    for axis in [ 0; 1 ] do
        gradientMatches $"mean(axis={axis})" (sameShape 1 Domain.any) (fun x -> Reduce.meanAxis axis x[0])

[<Fact>]
let ``reductions give the sums and means they name`` () =
    check (sameShape 1 Domain.any) (fun case ->
        let m = case.Inputs[0]
        let x = Graph.constant m
        let total = m.Enumerate() |> Seq.sum

        (abs ((Reduce.sum x).Value[0, 0] - total) < 1e-12
         && abs ((Reduce.mean x).Value[0, 0] - total / float (m.RowCount * m.ColumnCount)) < 1e-12
         && close 1e-12 (Reduce.sumAxis 0 x).Value (m.ColumnSums().ToRowMatrix())
         && close 1e-12 (Reduce.meanAxis 1 x).Value (m.RowSums().ToColumnMatrix() / float m.ColumnCount))
        |> Prop.ofTestable)

[<Fact>]
let ``an axis other than 0 or 1 is refused`` () =
    let x = Graph.constant (Tensor.zeros<float>(Shape.create 2 2))
    let e = Assert.Throws<ArgumentException>(fun () -> Reduce.sumAxis 2 x |> ignore)
    Assert.Contains("axis", e.Message)
