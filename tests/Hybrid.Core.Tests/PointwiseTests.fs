module Hybrid.Core.Tests.PointwiseTests

open Expecto
open FsCheck.FSharp
open Hybrid.Core
open Hybrid.Core.Tests.Generators

/// Clip bounds at ±1, so inputs are kept 0.05 away from ±1 (the kinks).
let private awayFromBounds =
    cases 2 (fun d -> [| (d[0], d[1], Domain.any) |])
    |> Arb.mapFilter id (fun case -> case.Inputs[0].Enumerate() |> Seq.forall (fun v -> abs (abs v - 1.0) >= 0.05))

[<Tests>]
let tests =
    testList
        "Pointwise"
        [
            gradientMatches "exp gradient matches finite differences" "exp" (sameShape 1 Domain.any) (fun x ->
                Pointwise.exp x[0])

            gradientMatches
                "log gradient matches finite differences for positive inputs"
                "log"
                (sameShape 1 Domain.positive)
                (fun x -> Pointwise.log x[0])

            testList
                "pow gradient matches finite differences for positive bases"
                [
                    for p in [ 2.0; 3.0; 0.5; -1.5 ] ->
                        gradientMatches $"exponent {p}" $"pow {p}" (sameShape 1 Domain.positive) (fun x ->
                            Pointwise.pow p x[0])
                ]

            gradientMatches
                "pow with an integer exponent works for negative bases"
                "pow 3 (any sign)"
                (sameShape 1 Domain.any)
                (fun x -> Pointwise.pow 3.0 x[0])

            gradientMatches
                "sqrt gradient matches finite differences for positive inputs"
                "sqrt"
                (sameShape 1 Domain.positive)
                (fun x -> Pointwise.sqrt x[0])

            gradientMatches
                "abs gradient matches finite differences away from zero"
                "abs"
                (sameShape 1 Domain.awayFromZero)
                (fun x -> Pointwise.abs x[0])

            gradientMatches
                "clip gradient matches finite differences away from the bounds"
                "clip"
                awayFromBounds
                (fun x -> Pointwise.clip -1.0 1.0 x[0])

            testPropertyWithConfig
                config
                "pointwise ops compute the functions they name"
                (Prop.forAll (sameShape 1 Domain.positive) (fun case ->
                    let m = case.Inputs[0]
                    let x = Graph.constant m

                    (close 1e-12 (Pointwise.exp x).Value (m.PointwiseExp())
                     && close 1e-12 (Pointwise.log x).Value (m.PointwiseLog())
                     && close 1e-12 (Pointwise.sqrt x).Value (m.PointwiseSqrt())
                     && close 1e-12 (Pointwise.pow 2.0 x).Value (m.PointwiseMultiply m)
                     && close 1e-12 (Pointwise.clip 1.0 2.0 x).Value (m.Map(fun v -> max 1.0 (min 2.0 v))))
                    |> Prop.ofTestable))
        ]
