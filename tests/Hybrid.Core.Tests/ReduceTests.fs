module Hybrid.Core.Tests.ReduceTests

open System
open Expecto
open FsCheck.FSharp
open Hybrid.Core
open Hybrid.Core.Tests.Generators

[<Tests>]
let tests =
    testList
        "Reduce"
        [
            gradientMatches "sum gradient matches finite differences" "sum" (sameShape 1 Domain.any) (fun x ->
                Reduce.sum x[0])

            gradientMatches "mean gradient matches finite differences" "mean" (sameShape 1 Domain.any) (fun x ->
                Reduce.mean x[0])

            testList
                "sum along an axis gradient matches finite differences"
                [
                    for axis in [ 0; 1 ] ->
                        gradientMatches $"axis {axis}" $"sum(axis={axis})" (sameShape 1 Domain.any) (fun x ->
                            Reduce.sumAxis axis x[0])
                ]

            testList
                "mean along an axis gradient matches finite differences"
                [
                    for axis in [ 0; 1 ] ->
                        gradientMatches $"axis {axis}" $"mean(axis={axis})" (sameShape 1 Domain.any) (fun x ->
                            Reduce.meanAxis axis x[0])
                ]

            testPropertyWithConfig
                config
                "reductions give the sums and means they name"
                (Prop.forAll (sameShape 1 Domain.any) (fun case ->
                    let m = case.Inputs[0]
                    let x = Graph.constant m
                    let total = m.Enumerate() |> Seq.sum

                    (abs ((Reduce.sum x).Value[0, 0] - total) < 1e-12
                     && abs ((Reduce.mean x).Value[0, 0] - total / float (m.RowCount * m.ColumnCount)) < 1e-12
                     && close 1e-12 (Reduce.sumAxis 0 x).Value (m.ColumnSums().ToRowMatrix())
                     && close 1e-12 (Reduce.meanAxis 1 x).Value (m.RowSums().ToColumnMatrix() / float m.ColumnCount))
                    |> Prop.ofTestable))

            testCase "an axis other than 0 or 1 is refused" (fun () ->
                let x = Graph.constant (Tensor.zeros<float>(Shape.create 2 2))

                let e =
                    Expect.throwsExactly<ArgumentException>(fun () -> Reduce.sumAxis 2 x |> ignore)

                Expect.stringContains e.Message "axis" "the message names the axis")
        ]
