using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Hybrid.Benchmarks -- --filter '*'   (build/bench-dotnet.sh runs them all)
// dotnet run -c Release --project tests/Hybrid.Benchmarks -- layers [rounds] [output.md]   (build/bench-layers.sh)
if (args.Length > 0 && args[0] == "layers") return Hybrid.Benchmarks.LayerEpochs.Run(args);
BenchmarkSwitcher.FromAssembly(typeof(Hybrid.Benchmarks.ProductBenchmarks).Assembly).Run(args);
return 0;
