using System.Net;
using System.Net.Http.Json;
using System.Text;
using RoundRobinLab.Backends.Control;
using RoundRobinLab.Backends.Faults;

namespace RoundRobinLab.Backends.Tests.Control;

/// <summary>The control API's toxics endpoints, checked against what the relays then really do.</summary>
public sealed class ControlApiToxicsTests
{
    private static async Task<HttpResponseMessage> PostToxicAsync(HttpClient client, Uri control, string id, string json) =>
        await client.PostAsync(new Uri(control, $"/backends/{id}/toxics"), new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task<Toxic[]> ToxicsAsync(HttpResponseMessage response)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync(ControlJsonContext.Default.ToxicArray))!;
    }

    [Fact]
    public async Task PostToxic_ChangesTheRunningRelay_AndGetListsIt()
    {
        await using var lab = await ControlledFleet.StartAsync(2, networkFaults: true);
        using var client = ControlledFleet.Client();
        (await ControlledFleet.GetThroughRelayAsync(client, lab.Fleet["b1"])).ShouldBe((HttpStatusCode.OK, "b1"));

        using var posted = await PostToxicAsync(client, lab.ControlUrl, "b1", """{ "type": "reset-peer", "attributes": { "timeout": 0 } }""");

        var toxics = await ToxicsAsync(posted);
        toxics.Select(t => (t.Name, t.Type, t.Stream, t.Toxicity)).ShouldBe([("reset-peer_downstream", "reset-peer", "downstream", 1.0)]);
        (await ControlledFleet.GetThroughRelayAsync(client, lab.Fleet["b1"])).ShouldBeNull();
        (await ControlledFleet.GetAsync(client, lab.Fleet["b1"])).ShouldBe((HttpStatusCode.OK, "b1"));
        (await ControlledFleet.GetThroughRelayAsync(client, lab.Fleet["b2"])).ShouldBe((HttpStatusCode.OK, "b2"));
        using var listed = await client.GetAsync(new Uri(lab.ControlUrl, "/backends/b1/toxics"));
        (await ToxicsAsync(listed)).ShouldBe(toxics);
    }

    [Fact]
    public async Task GetBackends_WithNetworkFaults_ShowsEachRelayAndTheToxics()
    {
        await using var lab = await ControlledFleet.StartAsync(2, networkFaults: true);
        using var client = ControlledFleet.Client();
        using var _ = await PostToxicAsync(client, lab.ControlUrl, "b2", """{ "name": "slow", "type": "latency", "attributes": { "latency": 100, "jitter": 10 } }""");

        var status = (await client.GetFromJsonAsync(new Uri(lab.ControlUrl, "/backends"), ControlJsonContext.Default.BackendStatusArray))!;

        status.Select(s => s.Relay).ShouldBe(lab.Fleet.Backends.Select(b => b.RelayUrl!.ToString().TrimEnd('/')));
        status[1].Profile.Toxics!.Single().ShouldBe(new Toxic { Name = "slow", Type = "latency", Attributes = new() { Latency = 100, Jitter = 10 } });
    }

    [Fact]
    public async Task DeleteByNameThenClear_RemoveToxics_AndTheRelayRelaysAgain()
    {
        await using var lab = await ControlledFleet.StartAsync(1, networkFaults: true);
        using var client = ControlledFleet.Client();
        using (var first = await PostToxicAsync(client, lab.ControlUrl, "b1", """{ "name": "cut", "type": "limit_data", "attributes": { "bytes": 0 } }"""))
        using (var second = await PostToxicAsync(client, lab.ControlUrl, "b1", """{ "type": "latency", "stream": "upstream", "attributes": { "latency": 1 } }"""))
        {
            (await ToxicsAsync(second)).Select(t => t.Name).ShouldBe(["cut", "latency_upstream"]);
        }

        (await ControlledFleet.GetThroughRelayAsync(client, lab.Fleet["b1"])).ShouldBeNull();

        using (var removed = await client.DeleteAsync(new Uri(lab.ControlUrl, "/backends/b1/toxics/cut")))
        {
            (await ToxicsAsync(removed)).Select(t => t.Name).ShouldBe(["latency_upstream"]);
        }

        (await ControlledFleet.GetThroughRelayAsync(client, lab.Fleet["b1"])).ShouldBe((HttpStatusCode.OK, "b1"));

        using var cleared = await client.DeleteAsync(new Uri(lab.ControlUrl, "/backends/b1/toxics"));

        (await ToxicsAsync(cleared)).ShouldBeEmpty();
        lab.Fleet["b1"].Profile.Toxics.ShouldBeNull();
    }

    [Fact]
    public async Task DeleteUnknownToxic_Is404NamingTheToxicsThereAre()
    {
        await using var lab = await ControlledFleet.StartAsync(1, networkFaults: true);
        using var client = ControlledFleet.Client();
        using var _ = await PostToxicAsync(client, lab.ControlUrl, "b1", """{ "name": "slow", "type": "latency" }""");

        using var response = await client.DeleteAsync(new Uri(lab.ControlUrl, "/backends/b1/toxics/fast"));

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).ShouldContain("b1 has no toxic 'fast'; it has slow");
    }

    [Theory]
    [InlineData("""{ "type": "latency", "attributes": { "latency": -5 } }""", "toxic.attributes.latency: -5 is not in 0..3600000 (ms)")]
    [InlineData("""{ "type": "bandwidth", "attributes": { "rate": 0 } }""", "toxic.attributes.rate: 0 is not in 1..1000000000 (KB/s)")]
    [InlineData("""{ "type": "latency", "attributes": { "rate": 5 } }""", "toxic.attributes.rate: latency takes latency and jitter, not rate")]
    [InlineData("""{ "type": "jam" }""", "toxic.type: 'jam' is not a toxic type; use latency, bandwidth, slow-close, timeout, reset-peer, slicer or limit-data")]
    [InlineData("""{ "attributes": { "latency": 5 } }""", "toxic.type: missing")]
    [InlineData("""{ "type": "latency", "stream": "sideways" }""", "toxic.stream: 'sideways' is neither upstream")]
    [InlineData("""{ "type": "latency", "toxicity": 1.5 }""", "toxic.toxicity: 1.5 is not a probability (0..1)")]
    [InlineData("""{ "type": "slicer", "attributes": { "average_size": 10, "size_variation": 10 } }""", "toxic.attributes.size_variation: 10 is not in 0..9")]
    [InlineData("""{ "type": "timeout", "attributes": { "timeout": 4000000 } }""", "toxic.attributes.timeout: 4000000 is not in 0..3600000")]
    [InlineData("""{ "type": "limit-data", "attributes": { "bytes": -1 } }""", "toxic.attributes.bytes: -1 is not in 0 or more")]
    [InlineData("""{ "type": "latency", "attributes": { "latncy": 5 } }""", "the toxic is not valid JSON")]
    [InlineData("null", "not a toxic")]
    public async Task PostToxic_Invalid_Is400NamingTheField_AndChangesNothing(string json, string reason)
    {
        await using var lab = await ControlledFleet.StartAsync(1, networkFaults: true);
        using var client = ControlledFleet.Client();

        using var response = await PostToxicAsync(client, lab.ControlUrl, "b1", json);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(reason);
        lab.Fleet["b1"].Toxics.ShouldBeEmpty();
    }

    [Fact]
    public async Task Toxics_WithoutNetworkFaults_Is409SayingHowToTurnThemOn()
    {
        await using var lab = await ControlledFleet.StartAsync(1);
        using var client = ControlledFleet.Client();

        using var response = await PostToxicAsync(client, lab.ControlUrl, "b1", """{ "type": "latency" }""");

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await response.Content.ReadAsStringAsync()).ShouldContain("b1 has no relay for network faults; start the fleet with them (lab backends --faults");
    }

    [Fact]
    public async Task PutProfile_WithToxics_AppliesThemToTheRelay()
    {
        await using var lab = await ControlledFleet.StartAsync(1, networkFaults: true);
        using var client = ControlledFleet.Client();

        using var response = await client.PutAsync(new Uri(lab.ControlUrl, "/backends/b1/profile"),
            new StringContent("""{ "toxics": [ { "type": "reset-peer" } ] }""", Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ControlledFleet.GetThroughRelayAsync(client, lab.Fleet["b1"])).ShouldBeNull();
        lab.Fleet["b1"].Toxics.Single().Name.ShouldBe("reset-peer_downstream");
    }
}
