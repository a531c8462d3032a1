using BenchmarkDotNet.Running;
using RoundRobinLab.Proxy.Benchmarks.Balancing;

// `dotnet run -c Release --project bench/Proxy.Aot.Benchmarks -- --filter '*'`, or ./run-lab.sh bench.
BenchmarkSwitcher.FromAssembly(typeof(BackendPoolBenchmarks).Assembly).Run(args);
