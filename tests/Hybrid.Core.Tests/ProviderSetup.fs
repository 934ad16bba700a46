/// The core suite runs once per matrix provider: build/test.sh sets HYBRID_PROVIDER (managed, simd, openblas; by hand,
/// best too) and the program's main switches MathNet's provider before any test runs.
module Hybrid.Core.Tests.ProviderSetup

open System
open Expecto
open MathNet.Numerics.Providers.LinearAlgebra

/// Switches to the provider HYBRID_PROVIDER names; without it the suite runs on MathNet's managed provider.
/// An unknown name or a provider that cannot load throws, so the run fails before any test.
let useNamedProvider () =
    match Environment.GetEnvironmentVariable "HYBRID_PROVIDER" with
    | null
    | "" -> ()
    | name -> Hybrid.Providers.Use(Hybrid.Providers.Parse name)

[<Tests>]
let tests =
    testList
        "ProviderSetup"
        [
            testCase "the suite runs on the provider HYBRID_PROVIDER names" (fun () ->
                match Environment.GetEnvironmentVariable "HYBRID_PROVIDER" with
                | null
                | "" ->
                    let provider = LinearAlgebraControl.Provider

                    Expect.isTrue
                        (provider :? ManagedLinearAlgebraProvider)
                        $"MathNet's managed provider, not {provider}"
                | name ->
                    // Best is a rule, not a provider: it resolves to OpenBLAS where that loads, else Simd, else Managed.
                    let expected =
                        match Hybrid.Providers.Parse name with
                        | Hybrid.ProviderKind.Best when Hybrid.Providers.IsAvailable Hybrid.ProviderKind.OpenBlas ->
                            Hybrid.ProviderKind.OpenBlas
                        | Hybrid.ProviderKind.Best when Hybrid.Providers.IsAvailable Hybrid.ProviderKind.Simd ->
                            Hybrid.ProviderKind.Simd
                        | Hybrid.ProviderKind.Best -> Hybrid.ProviderKind.Managed
                        | kind -> kind

                    Expect.equal Hybrid.Providers.Active expected $"the {name} provider")
        ]
