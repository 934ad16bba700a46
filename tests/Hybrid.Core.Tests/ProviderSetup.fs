/// The core suite runs once per matrix provider: build/test.sh sets HYBRID_PROVIDER (managed, simd, openblas)
/// and this test framework switches MathNet's provider before any test runs.
namespace Hybrid.Core.Tests

open System
open Xunit.Abstractions
open Xunit.Sdk

type ProviderSetup(sink: IMessageSink) =
    inherit XunitTestFramework(sink)

    do
        match Environment.GetEnvironmentVariable "HYBRID_PROVIDER" with
        | null
        | "" -> ()
        | name -> Hybrid.Providers.Use(Hybrid.Providers.Parse name)

[<assembly: Xunit.TestFramework("Hybrid.Core.Tests.ProviderSetup", "Hybrid.Core.Tests")>]
do ()

module ProviderSetupTests =
    open Xunit

    [<Fact>]
    let ``the suite runs on the provider HYBRID_PROVIDER names`` () =
        match Environment.GetEnvironmentVariable "HYBRID_PROVIDER" with
        | null
        | "" ->
            Assert.IsType<MathNet.Numerics.Providers.LinearAlgebra.ManagedLinearAlgebraProvider>(
                MathNet.Numerics.Providers.LinearAlgebra.LinearAlgebraControl.Provider
            )
            |> ignore
        | name -> Assert.Equal(Hybrid.Providers.Parse name, Hybrid.Providers.Active)
