using System.Diagnostics;
using System.Net.Sockets;
using RoundRobinLab.Backends.Faults;
using static RoundRobinLab.Backends.Tests.Faults.TcpClientSide;

namespace RoundRobinLab.Backends.Tests.Faults;

/// <summary>Each toxic against real sockets: a client, the relay, and a tiny TCP server on loopback.</summary>
public sealed class ToxicTests
{
    private static byte[] Pattern(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)(i % 251))];

    [Fact]
    public async Task Latency_DelaysEachChunk_ByAtLeastTheLatency_InEachStreamItIsOn()
    {
        await using var lab = Relayed.Start(TcpPeer.Echo(),
        [
            new Toxic { Type = "latency", Attributes = new() { Latency = 120 } },
            new Toxic { Type = "latency", Stream = Toxic.Upstream, Attributes = new() { Latency = 80 } },
        ]);
        using var client = await lab.ConnectAsync();

        // Twice: every chunk is delayed, not only the first one.
        (await EchoAsync(client, [1, 2, 3])).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(200));
        (await EchoAsync(client, [4, 5, 6])).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task Latency_Jitter_MovesEachChunkWithinLatencyPlusOrMinusJitter()
    {
        // latency 100 ± 100: a chunk waits 200·u ms for a draw u (toxicity 1 draws nothing). A seed
        // whose second and third draws are far apart says what those chunks wait, so both ends are
        // checked; the first chunk warms the path up.
        var seed = Enumerable.Range(0, 10_000).First(s =>
        {
            var draws = new Random(s);
            draws.NextDouble();
            return draws.NextDouble() < 0.1 && draws.NextDouble() > 0.8;
        });
        var replay = new Random(seed);
        replay.NextDouble();
        var (first, second) = (200 * replay.NextDouble(), 200 * replay.NextDouble());
        await using var lab = Relayed.Start(TcpPeer.Echo(), [new Toxic { Type = "latency", Attributes = new() { Latency = 100, Jitter = 100 } }], new Random(seed));
        using var client = await lab.ConnectAsync();
        await EchoAsync(client, [0]);

        var early = await EchoAsync(client, [1]);
        var late = await EchoAsync(client, [2]);

        early.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(first));
        // Below the latency itself: the jitter took time off, not only added it.
        early.ShouldBeLessThan(TimeSpan.FromMilliseconds(100));
        late.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(second));
    }

    [Fact]
    public async Task Bandwidth_BoundsThroughput()
    {
        // 64 KB/s (Toxiproxy's KB: 1000 bytes): 32,000 bytes take half a second.
        await using var lab = Relayed.Start(TcpPeer.Sends(Pattern(32_000), thenClose: true), [new Toxic { Type = "bandwidth", Attributes = new() { Rate = 64 } }]);
        using var client = await lab.ConnectAsync();

        var (bytes, _, eofAt) = await ReadToEndAsync(client);

        bytes.ShouldBe(Pattern(32_000));
        eofAt.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(450));
    }

    [Fact]
    public async Task SlowClose_DelaysTheEof_NotTheData()
    {
        await using var lab = Relayed.Start(TcpPeer.Sends([1, 2, 3], thenClose: true), [new Toxic { Type = "slow-close", Attributes = new() { Delay = 300 } }]);
        using var client = await lab.ConnectAsync();
        var clock = Stopwatch.StartNew();

        (await ReadExactlyAsync(client, 3)).ShouldBe([1, 2, 3]);
        var dataAt = clock.Elapsed;
        var (rest, _, _) = await ReadToEndAsync(client);

        rest.ShouldBeEmpty();
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(300));
        dataAt.ShouldBeLessThan(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Timeout_Zero_NeverDeliversNorCloses_AndRemovingItReleasesTheHeldBytes()
    {
        await using var lab = Relayed.Start(TcpPeer.Echo(), [new Toxic { Type = "timeout", Attributes = new() { Timeout = 0 } }]);
        using var client = await lab.ConnectAsync();
        await client.SendAsync(new byte[] { 7, 8, 9 }, SocketFlags.None);

        (await FirstReadAsync(client, TimeSpan.FromMilliseconds(400))).ShouldBe("nothing");

        // The lab's choice (Toxiproxy drops them): held bytes wait, as TCP would across a healed partition.
        lab.Relay.Toxics = [];

        (await ReadExactlyAsync(client, 3)).ShouldBe([7, 8, 9]);
    }

    [Fact]
    public async Task Timeout_N_RelaysNothing_AndClosesTheConnectionAfterN()
    {
        await using var lab = Relayed.Start(TcpPeer.Echo(), [new Toxic { Type = "timeout", Attributes = new() { Timeout = 250 } }]);
        var clock = Stopwatch.StartNew();
        using var client = await lab.ConnectAsync();
        await client.SendAsync(new byte[] { 7, 8, 9 }, SocketFlags.None);

        var (bytes, _, _) = await ReadToEndAsync(client);

        bytes.ShouldBeEmpty();
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250));
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(3));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(200)]
    public async Task ResetPeer_GivesTheClientAConnectionReset_NotAnEof(int timeoutMs)
    {
        await using var lab = Relayed.Start(TcpPeer.Echo(), [new Toxic { Type = "reset-peer", Attributes = new() { Timeout = timeoutMs } }]);
        using var client = await lab.ConnectAsync();
        var clock = Stopwatch.StartNew();
        await client.SendAsync(new byte[] { 1 }, SocketFlags.None);

        var error = await Should.ThrowAsync<SocketException>(() => ReadToEndAsync(client));

        error.SocketErrorCode.ShouldBe(SocketError.ConnectionReset);
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(timeoutMs));
    }

    [Fact]
    public async Task ResetPeer_Upstream_ResetsTheClientOnItsFirstBytes()
    {
        await using var lab = Relayed.Start(TcpPeer.Echo(), [new Toxic { Type = "reset_peer", Stream = Toxic.Upstream }]);
        using var client = await lab.ConnectAsync();
        await client.SendAsync(new byte[] { 1 }, SocketFlags.None);

        (await FirstReadAsync(client, Patience)).ShouldBe("reset");
    }

    [Fact]
    public async Task Slicer_DeliversTheSameBytesInSeveralReads()
    {
        await using var lab = Relayed.Start(TcpPeer.Sends(Pattern(1000), thenClose: true),
            [new Toxic { Type = "slicer", Attributes = new() { AverageSize = 100, SizeVariation = 20, Delay = 20_000 } }]);
        using var client = await lab.ConnectAsync();

        var (bytes, reads, eofAt) = await ReadToEndAsync(client);

        bytes.ShouldBe(Pattern(1000));
        // About ten slices, 20 ms apart, each its own read.
        reads.ShouldBeGreaterThanOrEqualTo(7);
        eofAt.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(140));
    }

    [Fact]
    public async Task LimitData_ClosesAfterExactlyNBytes()
    {
        // The server sends 10,000 bytes and keeps its connection open: only the relay can end it.
        await using var lab = Relayed.Start(TcpPeer.Sends(Pattern(10_000), thenClose: false), [new Toxic { Type = "limit-data", Attributes = new() { Bytes = 4096 } }]);
        using var client = await lab.ConnectAsync();

        var (bytes, _, _) = await ReadToEndAsync(client);

        bytes.ShouldBe(Pattern(10_000)[..4096]);
    }

    [Fact]
    public async Task LimitData_CountsAcrossChunks()
    {
        await using var lab = Relayed.Start(TcpPeer.Echo(), [new Toxic { Type = "limit_data", Attributes = new() { Bytes = 5 } }]);
        using var client = await lab.ConnectAsync();

        await EchoAsync(client, [1, 2, 3]);
        await client.SendAsync(new byte[] { 4, 5, 6 }, SocketFlags.None);
        var (bytes, _, _) = await ReadToEndAsync(client);

        bytes.ShouldBe([4, 5]);
    }
}
