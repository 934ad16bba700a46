module Hybrid.Core.Tests.LinalgTests

open Expecto
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

/// The four transpose flags, each with its name ("a^T b" and so on).
let private flags =
    [
        for ta, tb in [ false, false; true, false; false, true; true, true ] ->
            ta, tb, (if ta then "a^T" else "a") + " " + (if tb then "b^T" else "b")
    ]

/// A row vector b (1×c) to add to every row of x (r×c).
let private rowsAndBias =
    cases 2 (fun d -> [| (d[0], d[1], Domain.any); (1, d[1], Domain.any) |])

[<Tests>]
let tests =
    testList
        "Linalg"
        [
            testList
                "matmul gradient matches finite differences with either operand transposed"
                [
                    for ta, tb, name in flags ->
                        gradientMatches name $"matmul {name}" (products ta tb) (fun x ->
                            Linalg.matmulWith ta tb x[0] x[1])
                ]

            testList
                "matmul with transpose flags equals the product of transposed matrices"
                [
                    for ta, tb, name in flags ->
                        testPropertyWithConfig
                            config
                            name
                            (Prop.forAll (products ta tb) (fun case ->
                                let a, b = case.Inputs[0], case.Inputs[1]
                                let expected = (if ta then a.Transpose() else a) * (if tb then b.Transpose() else b)
                                let actual = (Linalg.matmulWith ta tb (Graph.constant a) (Graph.constant b)).Value
                                close 1e-12 actual expected |> Prop.ofTestable))
                ]

            testCase "matmul with unequal inner dimensions names both shapes" (fun () ->
                let a = Graph.constant (Tensor.zeros<float>(Shape.create 2 3))
                let b = Graph.constant (Tensor.zeros<float>(Shape.create 4 5))

                let e =
                    Expect.throwsExactly<ShapeMismatchException>(fun () -> Linalg.matmul a b |> ignore)

                Expect.equal e.Op "matmul" "the op"
                Expect.stringContains e.Message "2×3" "the message names the left shape"
                Expect.stringContains e.Message "4×5" "the message names the right shape"
                Expect.stringContains e.Message "inner dimensions 3 and 4" "the message names the inner dimensions")

            gradientMatches
                "transpose gradient matches finite differences"
                "transpose"
                (sameShape 1 Domain.any)
                (fun x -> Linalg.transpose x[0])

            gradientMatches "addRowVector gradient matches finite differences" "addRowVector" rowsAndBias (fun x ->
                Linalg.addRowVector x[0] x[1])

            testPropertyWithConfig
                config
                "addRowVector equals broadcasting add"
                (Prop.forAll rowsAndBias (fun case ->
                    let x, b = Graph.constant case.Inputs[0], Graph.constant case.Inputs[1]

                    close 1e-12 (Linalg.addRowVector x b).Value (Arith.add x b).Value
                    |> Prop.ofTestable))

            testCase "addRowVector refuses a bias that is not one row of the right width" (fun () ->
                let x = Graph.constant (Tensor.zeros<float>(Shape.create 4 3))
                let b = Graph.constant (Tensor.zeros<float>(Shape.create 1 2))

                let e =
                    Expect.throwsExactly<ShapeMismatchException>(fun () -> Linalg.addRowVector x b |> ignore)

                Expect.stringContains e.Message "1×3" "the message names the bias shape it needs")
        ]
