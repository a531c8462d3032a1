using System.Net.Sockets;
using RoundRobinLab.Backends.Faults;
using static RoundRobinLab.Backends.Tests.Faults.TcpClientSide;

namespace RoundRobinLab.Backends.Tests.Faults;

/// <summary>The relay without toxics, and how a change of toxics reaches a running one.</summary>
public sealed class TcpRelayTests
{
    private static readonly Toxic s_cutAtOnce = new() { Type = "limit-data", Attributes = new() { Bytes = 0 } };

    [Fact]
    public async Task Relay_NoToxic_PassesBytesBothWaysUnchanged_AndTheClose()
    {
        await using var lab = Relayed.Start(TcpPeer.Echo());
        using var client = await lab.ConnectAsync();
        var sent = new byte[256 * 1024];
        new Random(1).NextBytes(sent);

        var echo = ReadToEndAsync(client);
        await client.SendAsync(sent, SocketFlags.None);
        // The client's FIN reaches the echo server through the relay, and the server's comes back.
        client.Shutdown(SocketShutdown.Send);

        (await echo).Bytes.ShouldBe(sent);
    }

    [Fact]
    public async Task Relay_NoToxic_AllocatesNothingPerChunk()
    {
        await using var lab = Relayed.Start(TcpPeer.Echo());
        using var client = await lab.ConnectAsync();
        var message = new byte[100];
        var reply = new byte[100];
        async Task RoundTripsAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await client.SendAsync(message.AsMemory(), SocketFlags.None);
                for (var at = 0; at < reply.Length;)
                {
                    at += await client.ReceiveAsync(reply.AsMemory(at), SocketFlags.None);
                }
            }
        }

        await RoundTripsAsync(500);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        await RoundTripsAsync(4000);
        var perRoundTrip = (GC.GetTotalAllocatedBytes(precise: true) - before) / 4000.0;

        // Two chunks relayed per round trip, the whole process counted (client and echo server
        // allocate nothing either): a single object per chunk would be 50 bytes or more. Measured: 2.4.
        perRoundTrip.ShouldBeLessThan(32);
    }

    [Fact]
    public async Task Relay_ManyConnections_EachGetsItsOwnBytes()
    {
        await using var lab = Relayed.Start(TcpPeer.Echo());

        var round = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            using var client = await lab.ConnectAsync();
            var message = System.Text.Encoding.ASCII.GetBytes($"connection {i}");
            await EchoAsync(client, message);
            return i;
        }));

        round.Length.ShouldBe(20);
    }

    [Fact]
    public async Task StopListening_RefusesNewConnections_ThenListenServesOnTheSamePort()
    {
        await using var lab = Relayed.Start(TcpPeer.Echo());
        var port = lab.Relay.Port;

        await lab.Relay.StopListeningAsync();

        var refused = await Should.ThrowAsync<SocketException>(() => ConnectAsync(port));
        refused.SocketErrorCode.ShouldBe(SocketError.ConnectionRefused);

        lab.Relay.Listen();

        lab.Relay.Port.ShouldBe(port);
        using var client = await lab.ConnectAsync();
        await EchoAsync(client, [1, 2, 3]);
    }

    [Fact]
    public async Task BackendRefusing_TheRelayResetsTheClient_NeverAnEof()
    {
        // Bound but not listening: the port refuses connections, and no one else can take it meanwhile.
        using var refusing = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        refusing.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        await using var relay = new TcpRelay(((System.Net.IPEndPoint)refusing.LocalEndPoint!).Port);
        relay.Listen();

        // The reset can come so soon after the accept that the client's connect already reports it.
        string outcome;
        try
        {
            using var client = await ConnectAsync(relay.Port);
            outcome = await FirstReadAsync(client, Patience);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            outcome = "reset";
        }

        outcome.ShouldBe("reset");
    }

    [Fact]
    public async Task Toxics_AddedAndRemoved_ApplyToAnOpenConnection()
    {
        await using var lab = Relayed.Start(TcpPeer.Echo());
        using var client = await lab.ConnectAsync();
        await EchoAsync(client, [1]);

        lab.Relay.Toxics = [new Toxic { Type = "latency", Attributes = new() { Latency = 300 } }];

        (await EchoAsync(client, [2])).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(300));

        lab.Relay.Toxics = [];

        (await EchoAsync(client, [3])).ShouldBeLessThan(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Toxics_AnIdenticalToxicSetAgain_KeepsItsCountOnAnOpenConnection()
    {
        var limit = new Toxic { Type = "limit-data", Attributes = new() { Bytes = 5 } };
        await using var lab = Relayed.Start(TcpPeer.Echo(), [limit]);
        using var client = await lab.ConnectAsync();
        await EchoAsync(client, [1, 2, 3]);

        // As after a GET and a PUT of the profile: a new list, a new object, the name now written out.
        lab.Relay.Toxics = [limit with { Name = "limit-data_downstream" }];
        await client.SendAsync(new byte[] { 4, 5, 6 }, SocketFlags.None);

        // Still the same toxic: 3 of its 5 bytes were used, so 2 more pass and the connection ends.
        (await ReadToEndAsync(client)).Bytes.ShouldBe([4, 5]);
    }

    [Fact]
    public async Task Toxicity_Zero_NeverApplies()
    {
        await using var lab = Relayed.Start(TcpPeer.Echo(), [s_cutAtOnce with { Toxicity = 0 }]);

        for (var i = 0; i < 5; i++)
        {
            using var client = await lab.ConnectAsync();
            await EchoAsync(client, [(byte)i]);
        }
    }

    [Fact]
    public async Task Toxicity_One_AlwaysApplies()
    {
        await using var lab = Relayed.Start(TcpPeer.Echo(), [s_cutAtOnce with { Toxicity = 1 }]);

        for (var i = 0; i < 5; i++)
        {
            using var client = await lab.ConnectAsync();
            await client.SendAsync(new[] { (byte)i }, SocketFlags.None);
            (await ReadToEndAsync(client)).Bytes.ShouldBeEmpty();
        }
    }

    [Fact]
    public async Task Toxicity_Fractional_HitsTheConnectionsTheSeededSourceDraws()
    {
        // One draw per connection, in accept order: replaying the seed says which ones are hit.
        var replay = new Random(42);
        var expected = Enumerable.Range(0, 12).Select(_ => replay.NextDouble() < 0.5).ToArray();
        await using var lab = Relayed.Start(TcpPeer.Echo(), [s_cutAtOnce with { Toxicity = 0.5 }], new Random(42));

        var hit = new List<bool>();
        for (var i = 0; i < expected.Length; i++)
        {
            using var client = await lab.ConnectAsync();
            await client.SendAsync(new[] { (byte)i }, SocketFlags.None);
            client.Shutdown(SocketShutdown.Send);
            hit.Add((await ReadToEndAsync(client)).Bytes.Length == 0);
        }

        hit.ShouldBe(expected);
        expected.ShouldContain(true);
        expected.ShouldContain(false);
    }

    [Fact]
    public async Task Toxicity_IsDrawnOncePerConnection_NotPerChunk()
    {
        // Seed 3's first draw (0.23...) is below 0.5: the connection is hit, and stays hit.
        new Random(3).NextDouble().ShouldBeLessThan(0.5);
        var latency = new Toxic { Type = "latency", Toxicity = 0.5, Attributes = new() { Latency = 100 } };
        await using var lab = Relayed.Start(TcpPeer.Echo(), [latency], new Random(3));
        using var client = await lab.ConnectAsync();

        for (var i = 0; i < 4; i++)
        {
            (await EchoAsync(client, [(byte)i])).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(100));
        }
    }
}
