/// The core suite as a console program: `dotnet run --project tests/Hybrid.Core.Tests -c Release -- [Expecto
/// options]` (`--list-tests`, `--filter-test-case TEXT`, `--sequenced`, `--nunit-summary FILE`, `--help`).
module Hybrid.Core.Tests.Main

open Expecto

[<EntryPoint>]
let main args =
    // Before the first test, so every test (and the provider test) runs on the provider named.
    ProviderSetup.useNamedProvider ()
    // Every `[<Tests>]` value in this assembly: a new test file needs only its `[<Tests>]` list, no registration here.
    // Names join with "/", as --filter reads them; several sentences contain dots (nn.Sequential, 0.5).
    Tests.runTestsInAssemblyWithCLIArgs [ JoinWith "/" ] args
