// What every docs page loads first (each page: #load "../tests/Hybrid.Examples/References.fsx"): the assemblies of
// this compiled examples project's output, which holds Hybrid, Hybrid.Core, MathNet.Numerics and the examples.
#r "bin/Release/net10.0/MathNet.Numerics.dll"
#r "bin/Release/net10.0/Hybrid.Core.dll"
#r "bin/Release/net10.0/Hybrid.dll"
#r "bin/Release/net10.0/Hybrid.Examples.dll"

// The pages print their own lines; the provider's one-time notice (which provider is in use) would interleave.
Hybrid.Providers.Notice <- ignore
