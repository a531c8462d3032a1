using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Forwarding;

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
    private BackendPool _pool = null!;
    private Forwarder _small = null!;
    private Forwarder _large = null!;
    private InMemoryBackend _smallBackend = null!;

    [GlobalSetup]
    public void Setup()
    {
        _pool = new BackendPool([new Uri("http://127.0.0.1:5001")], TimeSpan.FromSeconds(10), TimeProvider.System, NullLogger<BackendPool>.Instance);
        _smallBackend = new InMemoryBackend(s_small);
        _small = new Forwarder(_pool, new HttpMessageInvoker(_smallBackend), s_options, NullLogger<Forwarder>.Instance);
        _large = new Forwarder(_pool, new HttpMessageInvoker(new InMemoryBackend(s_mebibyte)), s_options, NullLogger<Forwarder>.Instance);
    }

    [GlobalCleanup]
    public void Cleanup() => _pool.Dispose();

    /// <summary>What the harness itself costs per request: the incoming context and the backend's canned response.</summary>
    [Benchmark(Baseline = true)]
    public int Harness()
    {
        var context = InMemoryBackend.Request();
        using var response = _smallBackend.Respond();
        return context.Request.Headers.Count + (int)response.StatusCode;
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
