using RoundRobinLab.Harness;
using RoundRobinLab.Scenarios.Lab;

namespace RoundRobinLab.Scenarios.Tests.Lab;

/// <summary>
/// The fleet and the published proxy together, as a scenario gets them: what the lab reads from
/// the proxy comes from its admin API. ./run-lab.sh test publishes the binary and runs these.
/// </summary>
[Trait("Category", "Smoke")]
public sealed class LabEnvironmentTests : IDisposable
{
    private static readonly HttpClient s_client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("lab-environment-");

    public void Dispose() => _directory.Delete(recursive: true);

    private static string Binary()
    {
        var binary = Environment.GetEnvironmentVariable("LAB_PROXY_BINARY");
        Skip.If(string.IsNullOrEmpty(binary) || !File.Exists(binary), "LAB_PROXY_BINARY is not set; ./run-lab.sh test publishes the binary and runs these.");
        return binary!;
    }

    private Task<LabEnvironment> StartAsync(LabSetup setup) =>
        LabEnvironment.StartAsync(setup, new LabPorts(FreePort.Next(), FreePort.Next(), BackendBasePort: 0), Binary(), Path.Combine(_directory.FullName, "proxy.log"));

    [SkippableFact]
    public async Task ProxyCountsAsync_AfterSixRequests_GivesTwoToEachBackend_ByItsFleetId()
    {
        await using var lab = await StartAsync(new LabSetup());

        for (var i = 0; i < 6; i++)
        {
            (await s_client.GetAsync(lab.Proxy.ProxyAddress)).EnsureSuccessStatusCode();
        }

        (await lab.ProxyCountsAsync()).ShouldBe(new Dictionary<string, long> { ["b1"] = 2, ["b2"] = 2, ["b3"] = 2 }, ignoreOrder: true);
        lab.Fleet.ReceivedCounts().ShouldBe(new Dictionary<string, long> { ["b1"] = 2, ["b2"] = 2, ["b3"] = 2 }, ignoreOrder: true);
    }

    [SkippableFact]
    public async Task ProxyCountsAsync_WithNetworkFaults_MapsTheRelaysToTheirFleetIds()
    {
        await using var lab = await StartAsync(new LabSetup { Backends = 2, NetworkFaults = true });

        for (var i = 0; i < 4; i++)
        {
            (await s_client.GetAsync(lab.Proxy.ProxyAddress)).EnsureSuccessStatusCode();
        }

        // The proxy knows the relays' addresses only; the counts still come back by b1, b2.
        using var stats = System.Text.Json.JsonDocument.Parse(await s_client.GetStringAsync(new Uri(lab.Proxy.AdminAddress, "/stats")));
        stats.RootElement.GetProperty("backends").EnumerateArray().Select(b => b.GetProperty("address").GetString())
            .ShouldBe(lab.Fleet.Backends.Select(b => b.RelayUrl!.ToString().TrimEnd('/')), ignoreOrder: true);
        (await lab.ProxyCountsAsync()).ShouldBe(new Dictionary<string, long> { ["b1"] = 2, ["b2"] = 2 }, ignoreOrder: true);
        lab.Fleet.ReceivedCounts().ShouldBe(new Dictionary<string, long> { ["b1"] = 2, ["b2"] = 2 }, ignoreOrder: true);
    }

    [SkippableFact]
    public async Task DrainAsync_TakesABackendOutOfRotation_AndBack()
    {
        await using var lab = await StartAsync(new LabSetup { Backends = 2 });

        await lab.DrainAsync("b2", drain: true);
        var drained = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await s_client.GetAsync(lab.Proxy.ProxyAddress);
            drained.Add(response.Headers.GetValues("X-Backend-Id").Single());
        }

        await lab.DrainAsync("b2", drain: false);
        using var after = await s_client.GetAsync(lab.Proxy.ProxyAddress);
        using var next = await s_client.GetAsync(lab.Proxy.ProxyAddress);

        drained.ShouldAllBe(id => id == "b1");
        new[] { after.Headers.GetValues("X-Backend-Id").Single(), next.Headers.GetValues("X-Backend-Id").Single() }.ShouldContain("b2");
    }

    [SkippableFact]
    public async Task ProxyRotationChangesAsync_CountsAnEjection_FromTheProxysStats()
    {
        // One failure ejects: the count comes from /stats, whatever the log says.
        await using var lab = await StartAsync(new LabSetup { Backends = 2, ProxyArgs = ["--max-fails", "1", "--eject-seconds", "30"] });
        (await lab.ProxyRotationChangesAsync()).ShouldBe(0);

        await lab.Fleet["b2"].DownAsync();
        for (var i = 0; i < 4; i++)
        {
            (await s_client.GetAsync(lab.Proxy.ProxyAddress)).EnsureSuccessStatusCode();
        }

        (await lab.ProxyRotationChangesAsync()).ShouldBe(1);
    }
}
