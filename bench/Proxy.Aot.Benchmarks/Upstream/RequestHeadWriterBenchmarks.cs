using System.Buffers;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Benchmarks.Forwarding;
using RoundRobinLab.Proxy.Forwarding;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Benchmarks.Upstream;

/// <summary>
/// The upstream request head for a typical browser GET (eight headers), written straight into a
/// reused buffer. (Before the own upstream layer, building the <c>HttpRequestMessage</c> for
/// <c>HttpClient</c> instead took 977 ns and 2.96 KB, this 860 ns and 2.17 KB, the request context included.)
/// </summary>
[MemoryDiagnoser]
public class RequestHeadWriterBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private Backend _backend = null!;

    [GlobalSetup]
    public void Setup() =>
        _backend = new BackendPool([new Uri("http://127.0.0.1:5001")], TimeSpan.FromSeconds(10), TimeProvider.System, NullLogger<BackendPool>.Instance).All[0];

    [Benchmark]
    public int IntoABuffer()
    {
        var context = InMemoryBackend.Request();
        _output.ResetWrittenCount();
        RequestHeadWriter.WriteRequestLine(_output, context.Request.Method, _backend, "/api/items/42?view=full");
        RequestHeadWriter.WriteHeaders(_output, context, ForwardedHeaders.TrustNobody, chunkedBody: false);
        return _output.WrittenCount;
    }
}
