using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Backends.Mocked;
using RoundRobinLab.Backends.Profiles;

namespace RoundRobinLab.Backends.Tests.Fleet;

public sealed class BackendFleetTests
{
    private static readonly HttpClient s_client = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(30) };

    internal static Task<BackendFleet> StartAsync(int count = 3, BackendMode mode = BackendMode.WireMock, ProfileFile? profiles = null) =>
        BackendFleet.StartAsync(new FleetOptions { Count = count, BasePort = 0, Mode = mode, Profiles = profiles ?? new ProfileFile() });

    /// <summary>
    /// Whether backend <paramref name="id"/> answers at <paramref name="url"/>. A stopped backend's
    /// port is free, and a test running beside this one may take it, so "not b2" is the property,
    /// not "connection refused".
    /// </summary>
    private static async Task<bool> AnswersAsAsync(Uri url, string id)
    {
        try
        {
            using var response = await s_client.GetAsync(url);
            return response.Headers.TryGetValues("X-Backend-Id", out var ids) && ids.Single() == id;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    [Fact]
    public async Task StartAsync_ThenDispose_ListensThenFreesEveryPort()
    {
        var fleet = await StartAsync();
        var backends = fleet.Backends.Select(b => (b.Url, b.Id)).ToArray();

        backends.Select(b => b.Url.Port).Distinct().Count().ShouldBe(3);
        foreach (var (url, id) in backends)
        {
            (await AnswersAsAsync(url, id)).ShouldBeTrue();
        }

        await fleet.DisposeAsync();

        foreach (var (url, id) in backends)
        {
            (await AnswersAsAsync(url, id)).ShouldBeFalse();
        }
    }

    [Fact]
    public async Task Backend_IdentifiesItselfAndWhatItReceived()
    {
        await using var fleet = await StartAsync(2);
        var body = Encoding.UTF8.GetBytes("some body");

        using var response = await s_client.PutAsync(new Uri(fleet.Backends[1].Url, "/items/7?x=1"), new ByteArrayContent(body));
        var identity = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), IdentityJsonContext.Default.Identity)!;

        response.Headers.GetValues("X-Backend-Id").ShouldBe(["b2"]);
        identity.Id.ShouldBe("b2");
        identity.Method.ShouldBe("PUT");
        identity.Path.ShouldBe("/items/7?x=1");
        identity.BodyLength.ShouldBe(body.Length);
        identity.BodySha256.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(body)));
        identity.Headers["Content-Length"].ShouldBe(["9"]);
    }

    [Theory]
    [InlineData(BackendMode.WireMock)]
    [InlineData(BackendMode.Lean)]
    public async Task Received_CountsEveryRequest_PerBackend(BackendMode mode)
    {
        await using var fleet = await StartAsync(3, mode);

        for (var i = 0; i < 12; i++)
        {
            var backend = fleet.Backends[i % 3 == 0 ? 0 : 1];
            using var response = await s_client.GetAsync(new Uri(backend.Url, $"/r{i}"));
            response.Headers.GetValues("X-Backend-Id").Single().ShouldBe(backend.Id);
        }

        fleet.ReceivedCounts().ShouldBe(new Dictionary<string, long> { ["b1"] = 4, ["b2"] = 8, ["b3"] = 0 });
        if (mode == BackendMode.WireMock)
        {
            fleet.Backends[1].WireMock!.LogEntries.Count.ShouldBe(8);
        }
    }

    [Fact]
    public async Task DownThenUp_RefusesConnectionsThenServesAgain_KeepingTheCount()
    {
        await using var fleet = await StartAsync(1);
        var backend = fleet.Backends[0];
        (await s_client.GetStringAsync(backend.Url)).ShouldContain("\"b1\"");

        await backend.DownAsync();
        backend.IsUp.ShouldBeFalse();
        (await AnswersAsAsync(backend.Url, "b1")).ShouldBeFalse();

        await backend.UpAsync();
        (await s_client.GetStringAsync(backend.Url)).ShouldContain("\"b1\"");
        backend.Received.ShouldBe(2);
    }

    [Fact]
    public async Task ProfileDown_StartsTheBackendDownOnItsOwnPort()
    {
        var profiles = new ProfileFile { Backends = { ["b2"] = new BackendProfile { Down = true } } };
        await using var fleet = await StartAsync(2, profiles: profiles);

        fleet["b2"].IsUp.ShouldBeFalse();
        fleet["b2"].Port.ShouldNotBe(0);
        (await AnswersAsAsync(fleet["b2"].Url, "b2")).ShouldBeFalse();
        fleet["b1"].IsUp.ShouldBeTrue();
    }
}
