using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Forwarding;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Benchmarks.Forwarding;

/// <summary>
/// The forwarding path without a network: whole requests forwarded to an in-memory backend, small
/// and 1 MiB. (Building the upstream request alone: Upstream/RequestHeadWriterBenchmarks.)
/// </summary>
[MemoryDiagnoser]
public class ForwardingBenchmarks
{
    private static readonly byte[] s_small = "{\"id\":\"b1\"}"u8.ToArray();
    private static readonly byte[] s_mebibyte = new byte[1024 * 1024];
    // The proxy's defaults (Configuration/ProxySettings): a 100 s response and a 60 s idle timeout.
    private static readonly ForwarderOptions s_options = new() { Timeouts = new(TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(60)) };
    private readonly List<IDisposable> _owned = [];
    private Forwarder _small = null!;
    private Forwarder _large = null!;

    [GlobalSetup]
    public void Setup()
    {
        _small = Forwarder(s_small);
        _large = Forwarder(s_mebibyte);
    }

    /// <summary>A backend of its own per forwarder: kept-alive connections belong to a backend.</summary>
    private Forwarder Forwarder(byte[] body)
    {
        var pool = new BackendPool([new Uri("http://127.0.0.1:5001")], TimeSpan.FromSeconds(10), TimeProvider.System, NullLogger<BackendPool>.Instance);
        var connector = new UpstreamConnector(() => pool.All, TimeSpan.FromSeconds(10), InMemoryBackend.Connect(body));
        _owned.Add(connector);
        _owned.Add(pool);
        return new Forwarder(pool, connector, s_options, NullLogger<Forwarder>.Instance);
    }

    [GlobalCleanup]
    public void Cleanup() => _owned.ForEach(owned => owned.Dispose());

    /// <summary>What the harness itself costs per request: the incoming context.</summary>
    [Benchmark(Baseline = true)]
    public int Harness()
    {
        var context = InMemoryBackend.Request();
        return context.Request.Headers.Count;
    }

    [Benchmark]
    public async Task<int> ForwardSmallGet()
    {
        var context = InMemoryBackend.Request();
        await _small.ForwardAsync(context);
        return context.Response.StatusCode;
    }

    [Benchmark]
    public async Task<int> ForwardOneMebibyteResponse()
    {
        var context = InMemoryBackend.Request();
        await _large.ForwardAsync(context);
        return context.Response.StatusCode;
    }

    [Benchmark]
    public async Task<int> ForwardOneMebibyteUpload()
    {
        var context = InMemoryBackend.Request("POST", s_mebibyte);
        await _small.ForwardAsync(context);
        return context.Response.StatusCode;
    }
}
