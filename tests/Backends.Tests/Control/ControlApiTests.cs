using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RoundRobinLab.Backends.Control;
using RoundRobinLab.Backends.Profiles;

namespace RoundRobinLab.Backends.Tests.Control;

/// <summary>The control API over HTTP on loopback, checked against what the backends then really do.</summary>
public sealed class ControlApiTests
{
    private static async Task<BackendStatus[]> StatusAsync(HttpClient client, Uri control) =>
        (await client.GetFromJsonAsync(new Uri(control, "/backends"), ControlJsonContext.Default.BackendStatusArray))!;

    private static async Task<HttpResponseMessage> PutProfileAsync(HttpClient client, Uri control, string id, string json) =>
        await client.PutAsync(new Uri(control, $"/backends/{id}/profile"), new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task GetBackends_ListsEveryBackendWithItsUrlStateAndCount()
    {
        await using var lab = await ControlledFleet.StartAsync();
        using var client = ControlledFleet.Client();
        for (var i = 0; i < 3; i++)
        {
            (await ControlledFleet.GetAsync(client, lab.Fleet["b2"])).ShouldNotBeNull();
        }

        var status = await StatusAsync(client, lab.ControlUrl);

        status.Select(s => (s.Id, s.Url, s.Mode, s.Up, s.Received)).ShouldBe(
            lab.Fleet.Backends.Select(b => (b.Id, b.Url.ToString().TrimEnd('/'), "WireMock", true, b.Id == "b2" ? 3L : 0L)));
    }

    [Fact]
    public async Task PostDownThenUp_StopsTheBackendThenServesAgain_KeepingItsCount()
    {
        await using var lab = await ControlledFleet.StartAsync();
        using var client = ControlledFleet.Client();
        var b2 = lab.Fleet["b2"];
        (await ControlledFleet.GetAsync(client, b2)).ShouldNotBeNull();

        using var down = await client.PostAsync(new Uri(lab.ControlUrl, "/backends/b2/down"), content: null);

        down.StatusCode.ShouldBe(HttpStatusCode.OK);
        // The answer is the fleet after the change.
        var afterDown = (await down.Content.ReadFromJsonAsync(ControlJsonContext.Default.BackendStatusArray))!;
        afterDown.Select(s => s.Up).ShouldBe([true, false, true]);
        (await ControlledFleet.GetAsync(client, b2)).ShouldBeNull();
        (await ControlledFleet.GetAsync(client, lab.Fleet["b1"])).ShouldNotBeNull();

        using var up = await client.PostAsync(new Uri(lab.ControlUrl, "/backends/b2/up"), content: null);

        up.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ControlledFleet.GetAsync(client, b2)).ShouldBe((HttpStatusCode.OK, "b2"));
        var status = await StatusAsync(client, lab.ControlUrl);
        status.Single(s => s.Id == "b2").ShouldSatisfyAllConditions(s => s.Up.ShouldBeTrue(), s => s.Received.ShouldBe(2));
    }

    [Fact]
    public async Task PutProfile_ChangesHowTheBackendAnswers_FromTheNextRequest()
    {
        await using var lab = await ControlledFleet.StartAsync();
        using var client = ControlledFleet.Client();
        var b3 = lab.Fleet["b3"];

        using (var failing = await PutProfileAsync(client, lab.ControlUrl, "b3", """{ "errorRate": 1, "errorStatus": 503, "healthStatus": 500 }"""))
        {
            failing.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await ControlledFleet.GetAsync(client, b3)).ShouldBe((HttpStatusCode.ServiceUnavailable, "b3"));
        (await ControlledFleet.GetAsync(client, b3, "/healthz")).ShouldBe((HttpStatusCode.InternalServerError, "b3"));
        // The others keep theirs.
        (await ControlledFleet.GetAsync(client, lab.Fleet["b1"])).ShouldBe((HttpStatusCode.OK, "b1"));
        var shown = (await StatusAsync(client, lab.ControlUrl)).Single(s => s.Id == "b3").Profile;
        shown.ShouldBe(new BackendProfile { ErrorRate = 1, ErrorStatus = 503, HealthStatus = 500 });

        using (var healthy = await PutProfileAsync(client, lab.ControlUrl, "b3", "{}"))
        {
            healthy.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        (await ControlledFleet.GetAsync(client, b3)).ShouldBe((HttpStatusCode.OK, "b3"));
        (await ControlledFleet.GetAsync(client, b3, "/healthz")).ShouldBe((HttpStatusCode.OK, "b3"));
    }

    [Fact]
    public async Task PutProfile_Latency_DelaysTheBackendsAnswers()
    {
        await using var lab = await ControlledFleet.StartAsync(1);
        using var client = ControlledFleet.Client();
        var b1 = lab.Fleet["b1"];

        using (var response = await PutProfileAsync(client, lab.ControlUrl, "b1", """{ "latency": { "type": "fixed", "ms": 300 } }"""))
        {
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        (await ControlledFleet.GetAsync(client, b1)).ShouldBe((HttpStatusCode.OK, "b1"));
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(299));
        b1.Profile.Latency.ShouldBe(LatencyProfile.Fixed(300));
    }

    [Theory]
    [InlineData("""{ "errorRate": 2 }""", "errorRate: 2 is not a probability")]
    [InlineData("""{ "errorStatus": 42 }""", "errorStatus: 42 is not an HTTP status")]
    [InlineData("""{ "errorRate": """, "the profile is not valid JSON")]
    public async Task PutProfile_Invalid_Is400WithTheReason_AndChangesNothing(string json, string reason)
    {
        await using var lab = await ControlledFleet.StartAsync(1);
        using var client = ControlledFleet.Client();

        using var response = await PutProfileAsync(client, lab.ControlUrl, "b1", json);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(reason);
        lab.Fleet["b1"].Profile.ShouldBe(BackendProfile.Healthy);
        (await ControlledFleet.GetAsync(client, lab.Fleet["b1"])).ShouldBe((HttpStatusCode.OK, "b1"));
    }

    [Theory]
    [InlineData("POST", "/backends/b9/down")]
    [InlineData("POST", "/backends/b9/up")]
    [InlineData("PUT", "/backends/b9/profile")]
    [InlineData("GET", "/backends/b9/toxics")]
    [InlineData("POST", "/backends/b9/toxics")]
    [InlineData("DELETE", "/backends/b9/toxics")]
    [InlineData("DELETE", "/backends/b9/toxics/latency_downstream")]
    public async Task UnknownBackend_Is404NamingTheFleet(string method, string path)
    {
        await using var lab = await ControlledFleet.StartAsync(2);
        using var client = ControlledFleet.Client();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(lab.ControlUrl, path)) { Content = new StringContent("{}") });

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).ShouldContain("no backend 'b9'; the fleet has b1, b2");
    }

    [Fact]
    public async Task GetBackends_ProfileStartedDown_ShowsItDownAndItRefuses()
    {
        var profiles = new ProfileFile { Backends = { ["b1"] = new BackendProfile { Down = true } } };
        await using var lab = await ControlledFleet.StartAsync(2, profiles);
        using var client = ControlledFleet.Client();

        using var json = JsonDocument.Parse(await client.GetStringAsync(new Uri(lab.ControlUrl, "/backends")));

        var b1 = json.RootElement.EnumerateArray().Single(b => b.GetProperty("id").GetString() == "b1");
        // Defaults are left out of the JSON (WhenWritingDefault): a down backend has no "up": true.
        (b1.TryGetProperty("up", out var up) && up.GetBoolean()).ShouldBeFalse();
        b1.GetProperty("profile").GetProperty("down").GetBoolean().ShouldBeTrue();
        (await ControlledFleet.GetAsync(client, lab.Fleet["b1"])).ShouldBeNull();

        using var response = await client.PostAsync(new Uri(lab.ControlUrl, "/backends/b1/up"), content: null);

        (await ControlledFleet.GetAsync(client, lab.Fleet["b1"])).ShouldBe((HttpStatusCode.OK, "b1"));
    }
}
