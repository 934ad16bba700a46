using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Hybrid.Benchmarks -- --filter '*'   (build/bench-dotnet.sh runs them all)
BenchmarkSwitcher.FromAssembly(typeof(Hybrid.Benchmarks.ProductBenchmarks).Assembly).Run(args);
