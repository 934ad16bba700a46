module Hybrid.Core.Tests.ArithTests

open Expecto
open FsCheck.FSharp
open MathNet.Numerics.LinearAlgebra
open Hybrid.Core
open Hybrid.Core.Tests.Generators

/// Two inputs where the second is r×c, 1×c, r×1 or 1×1 (dims [r; c; kind]), to exercise broadcasting.
let private broadcastPairs (d: Domain) =
    cases 3 (fun dims ->
        let r, c = dims[0], dims[1]
        let kind = dims[2] % 4
        let r2 = if kind = 1 || kind = 3 then 1 else r
        let c2 = if kind = 2 || kind = 3 then 1 else c
        [| (r, c, Domain.any); (r2, c2, d) |])

/// Two inputs whose row counts differ by one, so no broadcasting reconciles them.
let private mismatched =
    cases 2 (fun d -> [| (d[0] + 1, d[1], Domain.any); (d[0] + 2, d[1], Domain.any) |])

let private elementwise: (string * (Node<float> -> Node<float> -> Node<float>)) list =
    [ "add", Arith.add; "sub", Arith.sub; "mul", Arith.mul; "div", Arith.div ]

[<Tests>]
let tests =
    testList
        "Arith"
        [
            gradientMatches
                "add gradient matches finite differences, with broadcasting"
                "add"
                (broadcastPairs Domain.any)
                (fun x -> Arith.add x[0] x[1])

            gradientMatches
                "add broadcasts the left operand too"
                "add (left broadcast)"
                (broadcastPairs Domain.any)
                (fun x -> Arith.add x[1] x[0])

            gradientMatches "sub gradient matches finite differences" "sub" (broadcastPairs Domain.any) (fun x ->
                Arith.sub x[0] x[1])

            gradientMatches "neg gradient matches finite differences" "neg" (sameShape 1 Domain.any) (fun x ->
                Arith.neg x[0])

            gradientMatches "mul gradient matches finite differences" "mul" (broadcastPairs Domain.any) (fun x ->
                Arith.mul x[0] x[1])

            gradientMatches
                "div gradient matches finite differences away from zero denominators"
                "div"
                (broadcastPairs
                    { Domain.awayFromZero with
                        MinAbs = 0.5
                    })
                (fun x -> Arith.div x[0] x[1])

            gradientMatches
                "addScalar gradient matches finite differences"
                "addScalar"
                (sameShape 1 Domain.any)
                (fun x -> Arith.addScalar 1.7 x[0])

            gradientMatches
                "mulScalar gradient matches finite differences"
                "mulScalar"
                (sameShape 1 Domain.any)
                (fun x -> Arith.mulScalar -2.5 x[0])

            gradientMatches
                "broadcastTo gradient sums back to the operand's shape"
                "broadcastTo"
                (cases 2 (fun d -> [| (1, d[1], Domain.any) |]))
                (fun x -> Arith.broadcastTo (Shape.create 5 x[0].Shape.Cols) x[0])

            testPropertyWithConfig
                config
                "elementwise ops compute the arithmetic they name"
                (Prop.forAll
                    (broadcastPairs
                        { Domain.awayFromZero with
                            MinAbs = 0.5
                        })
                    (fun case ->
                        let a, b = case.Inputs[0], case.Inputs[1]
                        let wide = Tensor.broadcastTo (Tensor.shape a) b
                        let x, y = Graph.constant a, Graph.constant b

                        (close 1e-12 (Arith.add x y).Value (a + wide)
                         && close 1e-12 (Arith.sub x y).Value (a - wide)
                         && close 1e-12 (Arith.mul x y).Value (a.PointwiseMultiply wide)
                         && close 1e-12 (Arith.div x y).Value (a.PointwiseDivide wide))
                        |> Prop.ofTestable))

            testPropertyWithConfig
                config
                "mismatched shapes throw the named exception"
                (Prop.forAll mismatched (fun case ->
                    let a, b = Graph.constant case.Inputs[0], Graph.constant case.Inputs[1]

                    elementwise
                    |> List.forall (fun (name, op) ->
                        try
                            op a b |> ignore
                            false
                        with :? ShapeMismatchException as e ->
                            e.Op = name
                            && e.Message.Contains(string a.Shape)
                            && e.Message.Contains(string b.Shape))
                    |> Prop.ofTestable))
        ]
