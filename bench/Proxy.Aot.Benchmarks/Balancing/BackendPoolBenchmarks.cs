using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using RoundRobinLab.Proxy.Balancing;

namespace RoundRobinLab.Proxy.Benchmarks.Balancing;

/// <summary>Picking the next backend: the one thing every request does before anything else.</summary>
[MemoryDiagnoser]
public class BackendPoolBenchmarks
{
    private const int PicksPerThread = 100_000;
    private BackendPool _pool = null!;
    private BackendPool _someEjected = null!;
    private BackendPool _weighted = null!;

    [Params(2, 8, 64)]
    public int Backends { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var addresses = Enumerable.Range(0, Backends).Select(i => new Uri($"http://127.0.0.1:{5001 + i}")).ToArray();
        _pool = new BackendPool(addresses, TimeSpan.FromHours(1), TimeProvider.System, NullLogger<BackendPool>.Instance);
        _someEjected = new BackendPool(addresses, TimeSpan.FromHours(1), TimeProvider.System, NullLogger<BackendPool>.Instance);
        // Weights 1 to 5 in turn: a schedule three times as long as the list.
        _weighted = new BackendPool(addresses, TimeSpan.FromHours(1), TimeProvider.System, NullLogger<BackendPool>.Instance,
            weights: [.. Enumerable.Range(0, Backends).Select(i => 1 + (i % 5))]);
        // Every fourth backend out of rotation (at least one), as after failures.
        for (var i = 0; i < Backends; i += 4)
        {
            _someEjected.Eject(_someEjected.All[i], "benchmark");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.Dispose();
        _someEjected.Dispose();
        _weighted.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int Next() => _pool.Next()!.Index;

    [Benchmark]
    public int NextSomeEjected() => _someEjected.Next()!.Index;

    /// <summary>Weighted: the same ticket and index over a precomputed smooth schedule.</summary>
    [Benchmark]
    public int NextWeighted() => _weighted.Next()!.Index;

    /// <summary>Both cores picking at once: the shared ticket counter's cache line bounces between them.</summary>
    [Benchmark(OperationsPerInvoke = 2 * PicksPerThread)]
    public int NextContended()
    {
        var seen = 0;
        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, _ =>
        {
            var last = 0;
            for (var i = 0; i < PicksPerThread; i++)
            {
                last = _pool.Next()!.Index;
            }

            Interlocked.Add(ref seen, last);
        });
        return seen;
    }
}
