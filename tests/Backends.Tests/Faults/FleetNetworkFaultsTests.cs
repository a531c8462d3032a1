using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RoundRobinLab.Backends.Faults;
using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Backends.Profiles;
using RoundRobinLab.Backends.Tests.Control;

namespace RoundRobinLab.Backends.Tests.Faults;

/// <summary>The fleet with network faults on: a relay in front of every backend, going down and up with it.</summary>
public sealed class FleetNetworkFaultsTests
{
    private static readonly Toxic s_resetAtOnce = new() { Type = "reset-peer" };

    private static Task<BackendFleet> StartAsync(int count, BackendMode mode = BackendMode.WireMock, ProfileFile? profiles = null) =>
        BackendFleet.StartAsync(new FleetOptions { Count = count, BasePort = 0, Mode = mode, Profiles = profiles ?? new ProfileFile(), NetworkFaults = true });

    [Theory]
    [InlineData(BackendMode.WireMock)]
    [InlineData(BackendMode.Lean)]
    public async Task NetworkFaults_GiveEachBackendARelay_ThatAnswersAsTheBackend(BackendMode mode)
    {
        await using var fleet = await StartAsync(2, mode);
        using var client = ControlledFleet.Client();

        fleet.ProxyUrls.ShouldBe(fleet.Backends.Select(b => b.RelayUrl!));
        fleet.ProxyUrls.Intersect(fleet.Urls).ShouldBeEmpty();
        foreach (var backend in fleet.Backends)
        {
            (await ControlledFleet.GetThroughRelayAsync(client, backend)).ShouldBe((HttpStatusCode.OK, backend.Id));
        }

        fleet.ReceivedCounts().ShouldBe(new Dictionary<string, long> { ["b1"] = 1, ["b2"] = 1 });
    }

    [Fact]
    public async Task NetworkFaultsOff_ProxyUrlIsTheBackendsOwn_AndToxicsAreRefused()
    {
        await using var fleet = await BackendFleet.StartAsync(new FleetOptions { Count = 1, BasePort = 0 });
        var b1 = fleet["b1"];

        b1.RelayUrl.ShouldBeNull();
        b1.ProxyUrl.ShouldBe(b1.Url);
        Should.Throw<InvalidOperationException>(() => b1.SetToxic(s_resetAtOnce)).Message.ShouldContain("--faults");
    }

    [Fact]
    public async Task Down_BehindItsRelay_IsRefused_ThenUpServesOnTheSameRelayPort()
    {
        await using var fleet = await StartAsync(1);
        using var client = ControlledFleet.Client();
        var b1 = fleet["b1"];
        var relay = b1.RelayUrl!;

        await b1.DownAsync();

        // The relay's port is closed with the backend's: refused, as a dead backend's port is.
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            (await Should.ThrowAsync<SocketException>(() => socket.ConnectAsync(IPAddress.Loopback, relay.Port)))
                .SocketErrorCode.ShouldBe(SocketError.ConnectionRefused);
        }

        await b1.UpAsync();

        b1.RelayUrl.ShouldBe(relay);
        (await ControlledFleet.GetThroughRelayAsync(client, b1)).ShouldBe((HttpStatusCode.OK, "b1"));
    }

    [Fact]
    public async Task ProfileToxics_ApplyFromTheStart_OnlyThroughTheRelay()
    {
        var profiles = new ProfileFile { Backends = { ["b2"] = new BackendProfile { Toxics = [s_resetAtOnce] } } };
        await using var fleet = await StartAsync(2, profiles: profiles);
        using var client = ControlledFleet.Client();

        (await ControlledFleet.GetThroughRelayAsync(client, fleet["b2"])).ShouldBeNull();
        (await ControlledFleet.GetAsync(client, fleet["b2"])).ShouldBe((HttpStatusCode.OK, "b2"));
        (await ControlledFleet.GetThroughRelayAsync(client, fleet["b1"])).ShouldBe((HttpStatusCode.OK, "b1"));
        fleet["b2"].Toxics.Select(t => t.Name).ShouldBe(["reset-peer_downstream"]);
    }

    [Fact]
    public async Task ProfileToxics_WithoutNetworkFaults_AreRefusedAtStart()
    {
        var profiles = new ProfileFile { Backends = { ["b2"] = new BackendProfile { Toxics = [s_resetAtOnce] } } };

        var error = await Should.ThrowAsync<ArgumentException>(() => BackendFleet.StartAsync(new FleetOptions { Count = 2, BasePort = 0, Profiles = profiles }));

        error.Message.ShouldContain("profile of b2.toxics: b2 has no relay");
        error.Message.ShouldContain("--faults");
    }

    [Fact]
    public async Task SetAndRemoveToxic_ChangeHowTheRelayAnswers_KeptAliveConnectionsToo()
    {
        await using var fleet = await StartAsync(1);
        var b1 = fleet["b1"];
        // Pooled: the same kept-alive connection before, during and after the toxic.
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 1 });
        (await client.GetAsync(b1.ProxyUrl)).StatusCode.ShouldBe(HttpStatusCode.OK);

        b1.SetToxic(new Toxic { Name = "slow", Type = "latency", Attributes = new() { Latency = 250 } });
        var clock = Stopwatch.StartNew();
        (await client.GetAsync(b1.ProxyUrl)).StatusCode.ShouldBe(HttpStatusCode.OK);
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250));

        b1.RemoveToxic("slow").ShouldBeTrue();
        b1.Toxics.ShouldBeEmpty();
        clock.Restart();
        (await client.GetAsync(b1.ProxyUrl)).StatusCode.ShouldBe(HttpStatusCode.OK);
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromMilliseconds(250));
    }

    [Fact]
    public async Task SetToxic_SameName_ReplacesItInPlace()
    {
        await using var fleet = await StartAsync(1);
        var b1 = fleet["b1"];

        b1.SetToxic(new Toxic { Name = "a", Type = "latency", Attributes = new() { Latency = 5 } });
        b1.SetToxic(new Toxic { Name = "b", Type = "bandwidth", Attributes = new() { Rate = 100 } });
        b1.SetToxic(new Toxic { Name = "a", Type = "latency", Attributes = new() { Latency = 9 } });

        b1.Toxics.Select(t => (t.Name, t.Attributes.Latency)).ShouldBe([("a", 9L), ("b", (long?)null)]);
        b1.Profile.Toxics.ShouldBe(b1.Toxics);
    }
}
