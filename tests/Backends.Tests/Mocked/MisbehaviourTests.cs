using System.Diagnostics;
using System.Net;
using System.Text;
using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Backends.Mocked;
using RoundRobinLab.Backends.Profiles;
using RoundRobinLab.Backends.Tests.Fleet;

namespace RoundRobinLab.Backends.Tests.Mocked;

public sealed class MisbehaviourTests
{
    private static HttpClient Client(TimeSpan? timeout = null) =>
        new(new SocketsHttpHandler { UseProxy = false }) { Timeout = timeout ?? TimeSpan.FromSeconds(30) };

    private static FakeBackend OneBackend(BackendFleet fleet, BackendProfile profile)
    {
        fleet.Backends[0].Profile = profile;
        return fleet.Backends[0];
    }

    [Fact]
    public async Task FixedLatency_DelaysEveryAnswerByAtLeastThatMuch()
    {
        await using var fleet = await BackendFleetTests.StartAsync(1);
        var backend = OneBackend(fleet, new BackendProfile { Latency = LatencyProfile.Fixed(150) });
        using var client = Client();
        await client.GetStringAsync(backend.Url);

        var times = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            await client.GetStringAsync(backend.Url);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        // Never early; the upper bound only says the delay is the profile's, not a stall.
        times.ShouldAllBe(t => t >= 149);
        times.Order().ElementAt(2).ShouldBeLessThan(150 + 250);
    }

    [Fact]
    public async Task ErrorRate_FailsAShareWithinBinomialBounds()
    {
        await using var fleet = await BackendFleetTests.StartAsync(1);
        var backend = OneBackend(fleet, new BackendProfile { ErrorRate = 0.25, ErrorStatus = 503 });
        using var client = Client();
        const int Requests = 400;

        var errors = 0;
        for (var i = 0; i < Requests; i++)
        {
            using var response = await client.GetAsync(backend.Url);
            response.Headers.GetValues("X-Backend-Id").ShouldBe(["b1"]);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                errors++;
            }
            else
            {
                response.StatusCode.ShouldBe(HttpStatusCode.OK);
            }
        }

        // Mean 100, standard deviation sqrt(400 * 0.25 * 0.75) = 8.7: five of them either way.
        errors.ShouldBeInRange(57, 143);
        backend.Received.ShouldBe(Requests);
    }

    [Fact]
    public async Task ResetFault_DropsTheConnection_AfterLoggingTheRequest()
    {
        await using var fleet = await BackendFleetTests.StartAsync(1);
        var backend = OneBackend(fleet, new BackendProfile { Faults = new FaultProfile { Reset = 1 } });
        using var client = Client();

        await Should.ThrowAsync<HttpRequestException>(() => client.GetAsync(backend.Url));
        backend.Received.ShouldBe(1);
    }

    [Fact]
    public async Task MalformedFault_IsNotHttp()
    {
        await using var fleet = await BackendFleetTests.StartAsync(1);
        var backend = OneBackend(fleet, new BackendProfile { Faults = new FaultProfile { Malformed = 1 } });
        using var client = Client();

        var error = await Should.ThrowAsync<HttpRequestException>(() => client.GetAsync(backend.Url));
        error.HttpRequestError.ShouldBe(HttpRequestError.InvalidResponse);
    }

    [Fact]
    public async Task NoResponseFault_HoldsTheConnectionUntilTheClientGivesUp()
    {
        await using var fleet = await BackendFleetTests.StartAsync(1);
        var backend = OneBackend(fleet, new BackendProfile { Faults = new FaultProfile { NoResponse = 1 } });
        using var client = Client(TimeSpan.FromMilliseconds(500));

        await Should.ThrowAsync<TaskCanceledException>(() => client.GetAsync(backend.Url));
        backend.Received.ShouldBe(1);
    }

    [Fact]
    public async Task StreamAndBodyBytes_SendALargeBodyInTimedChunks()
    {
        await using var fleet = await BackendFleetTests.StartAsync(1);
        var backend = OneBackend(fleet, new BackendProfile { BodyBytes = 300_000, Stream = new StreamProfile { Chunks = 3, ChunkDelayMs = 100 } });
        using var client = Client();

        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync(backend.Url);
        var body = await response.Content.ReadAsByteArrayAsync();
        clock.Stop();

        response.Headers.TransferEncodingChunked.ShouldBe(true);
        body.Length.ShouldBe(300_000);
        Enumerable.Range(0, body.Length).All(i => body[i] == PatternStream.At(i)).ShouldBeTrue();
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(199));
    }

    [Fact]
    public async Task ProfileChange_AppliesToTheNextRequest()
    {
        await using var fleet = await BackendFleetTests.StartAsync(1);
        var backend = fleet.Backends[0];
        using var client = Client();

        (await client.GetAsync(backend.Url)).StatusCode.ShouldBe(HttpStatusCode.OK);
        backend.Profile = new BackendProfile { ErrorRate = 1, ErrorStatus = 502 };
        (await client.GetAsync(backend.Url)).StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        backend.Profile = BackendProfile.Healthy;
        (await client.GetAsync(backend.Url)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task WireMockAdminApi_MappingOverridesTheDefault_AndKeepsTheIdentity()
    {
        await using var fleet = await BackendFleetTests.StartAsync(1);
        var backend = fleet.Backends[0];
        using var client = Client();
        const string Mapping = """
            { "Priority": 1, "Request": { "Path": { "Matchers": [ { "Name": "WildcardMatcher", "Pattern": "/teapot*" } ] } },
              "Response": { "StatusCode": 418, "Body": "short and stout" } }
            """;

        using var added = await client.PostAsync(new Uri(backend.Url, "/__admin/mappings"), new StringContent(Mapping, Encoding.UTF8, "application/json"));
        added.IsSuccessStatusCode.ShouldBeTrue();
        using var response = await client.GetAsync(new Uri(backend.Url, "/teapot/1"));

        response.StatusCode.ShouldBe((HttpStatusCode)418);
        response.Headers.GetValues("X-Backend-Id").ShouldBe(["b1"]);
        (await client.GetAsync(new Uri(backend.Url, "/other"))).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
