/// The methods that run every batch are compiled optimised from their first call (Hot.fs).
module Hybrid.Core.Tests.HotPathTests

open System.Reflection
open Expecto
open Hybrid.Core

let private name (m: MethodInfo) =
    match m.DeclaringType with
    | null -> m.Name
    | t -> $"{t.Name}.{m.Name}"

/// Every method of the core marked OptimizedFromFirstCall.
let private marked () =
    typeof<OptimizedFromFirstCallAttribute>.Assembly.GetTypes()
    |> Array.collect (fun t ->
        t.GetMethods(
            BindingFlags.Public
            ||| BindingFlags.NonPublic
            ||| BindingFlags.Static
            ||| BindingFlags.Instance
            ||| BindingFlags.DeclaredOnly
        ))
    |> Array.filter (fun m -> m.IsDefined(typeof<OptimizedFromFirstCallAttribute>, false))

[<Tests>]
let tests =
    testList
        "HotPath"
        [
            testCase "the build sets AggressiveOptimization on every method marked OptimizedFromFirstCall" (fun () ->
                let methods = marked ()
                let names = methods |> Array.map name
                Expect.contains names "FusedTrainer`1.Step" "the fused training step is marked"

                let missing =
                    methods
                    |> Array.filter (fun m ->
                        not (m.MethodImplementationFlags.HasFlag MethodImplAttributes.AggressiveOptimization))
                    |> Array.map name

                Expect.isEmpty
                    missing
                    "marked methods without the flag (did build/tools/set-aggressive-optimization.fsx run after CoreCompile?)")
        ]
