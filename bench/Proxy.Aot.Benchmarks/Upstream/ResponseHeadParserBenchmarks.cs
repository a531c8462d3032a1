using System.Buffers;
using BenchmarkDotNet.Attributes;
using RoundRobinLab.Proxy.Tests.Support;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Benchmarks.Upstream;

/// <summary>
/// Parsing a backend's response head: a typical small one (nginx's answer to a GET) and one with
/// many headers, in one segment and split across two as a pipe may hand it over.
/// </summary>
[MemoryDiagnoser]
public class ResponseHeadParserBenchmarks
{
    private static readonly byte[] s_small =
        "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 10:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: keep-alive\r\nX-Backend-Id: b1\r\n\r\nb1\n"u8.ToArray();

    private static readonly byte[] s_large = Large();

    private readonly ResponseHead _head = new();
    private ReadOnlySequence<byte> _split;

    [GlobalSetup]
    public void Setup()
    {
        _split = Segments.Split(s_small, 40);
    }

    [Benchmark(Baseline = true)]
    public int SmallHead() => Parse(new ReadOnlySequence<byte>(s_small));

    [Benchmark]
    public int SmallHeadSplit() => Parse(_split);

    [Benchmark]
    public int TwentyHeaders() => Parse(new ReadOnlySequence<byte>(s_large));

    private int Parse(ReadOnlySequence<byte> buffer) =>
        ResponseHeadParser.TryParse(buffer, _head, out _, out _) == ParseStatus.Complete ? _head.Headers.Count : -1;

    private static byte[] Large()
    {
        var text = new System.Text.StringBuilder("HTTP/1.1 200 OK\r\n");
        for (var i = 0; i < 20; i++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"X-Header-{i}: value number {i} with some length to it\r\n");
        }

        return System.Text.Encoding.ASCII.GetBytes(text.Append("Content-Length: 0\r\n\r\n").ToString());
    }
}
