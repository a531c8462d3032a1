using System.Net;
using System.Text.Json;
using RoundRobinLab.Harness;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Smoke;

/// <summary>
/// Connections and file descriptors, on the published binary (a Native AOT process does not get
/// CoreCLR's raise of the soft RLIMIT_NOFILE, so only the binary can show the proxy doing it).
/// </summary>
[Trait("Category", "Smoke")]
public sealed class ConnectionLimitTests
{
    private static readonly HttpClient s_admin = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<RawHttp[]> ConnectAsync(Uri proxy, int count)
    {
        var connections = new RawHttp[count];
        for (var i = 0; i < count; i += 500)
        {
            await Task.WhenAll(Enumerable.Range(i, Math.Min(500, count - i)).Select(async j => connections[j] = await RawHttp.ConnectAsync(proxy)));
        }

        return connections;
    }

    /// <summary>One GET on every connection, 500 at a time; the statuses, or "closed".</summary>
    private static async Task<string[]> GetOnEachAsync(RawHttp[] connections, int parallel = 500)
    {
        var statuses = new string[connections.Length];
        for (var i = 0; i < connections.Length; i += parallel)
        {
            await Task.WhenAll(Enumerable.Range(i, Math.Min(parallel, connections.Length - i)).Select(async j =>
            {
                try
                {
                    await connections[j].SendAsync("GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
                    var response = await connections[j].ReadResponseAsync();
                    statuses[j] = response is null ? "closed" : response.Split("\r\n")[0];
                }
                catch (IOException)
                {
                    statuses[j] = "closed";
                }
            }));
        }

        return statuses;
    }

    /// <summary>A backend whose answers carry a Content-Length, as RawHttp reads them.</summary>
    private static Task<TestBackend> BackendAsync() => TestBackend.StartAsync("b", context =>
    {
        context.Response.ContentLength = 2;
        return context.Response.Body.WriteAsync("ok"u8.ToArray()).AsTask();
    });

    private static async Task<long> FailuresAsync(ProxyProcess proxy)
    {
        using var stats = JsonDocument.Parse(await s_admin.GetStringAsync(new Uri(proxy.AdminAddress, "/stats")));
        return stats.RootElement.GetProperty("backends").EnumerateArray().Sum(b => b.GetProperty("failures").GetInt64());
    }

    [SkippableFact]
    public async Task Binary_HoldsTenThousandKeepAliveConnections_FromASoftLimitOf1024()
    {
        PublishedProxy.Require();
        await using var backend = await BackendAsync();
        // Soft 1024, hard 20000: 10,000 connections only fit once the proxy raises its soft limit.
        await using var proxy = await PublishedProxy.StartAsync([backend.Address], descriptorLimits: (1024, 20_000));
        var connections = await ConnectAsync(proxy.ProxyAddress, 10_000);
        try
        {
            var first = await GetOnEachAsync(connections);
            var second = await GetOnEachAsync(connections);

            first.Count(s => s != "HTTP/1.1 200 OK").ShouldBe(0);
            second.Count(s => s != "HTTP/1.1 200 OK").ShouldBe(0);
            (await FailuresAsync(proxy)).ShouldBe(0);
        }
        finally
        {
            await Task.WhenAll(connections.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    [SkippableFact]
    public async Task Binary_MaxConnections_KeepsDescriptorsForBackends_WhenIdleClientsPileUp()
    {
        PublishedProxy.Require();
        await using var backend = await BackendAsync();
        // 160 descriptors in all. Without a cap, 150 idle clients would take what the held
        // clients' backend connections need; with --max-connections 40 the rest are turned away.
        await using var proxy = await PublishedProxy.StartAsync([backend.Address], descriptorLimits: (160, 160), "--max-connections", "40");
        var held = await ConnectAsync(proxy.ProxyAddress, 40);
        var idle = Array.Empty<RawHttp>();
        try
        {
            (await GetOnEachAsync(held, parallel: 1)).Count(s => s != "HTTP/1.1 200 OK").ShouldBe(0);
            idle = await ConnectAsync(proxy.ProxyAddress, 150);
            // Over the cap, Kestrel accepts and closes each at once: wait until every one reads as
            // closed (one that is held instead times out here), so none holds a descriptor.
            var turnedAway = await Task.WhenAll(idle.Select(async c =>
            {
                try
                {
                    return await c.ReadResponseAsync() is null ? "closed" : "answered";
                }
                catch (IOException)
                {
                    return "closed";
                }
            }));

            // All 40 at once: each needs a backend connection of its own.
            var again = await GetOnEachAsync(held, parallel: 40);

            again.Count(s => s != "HTTP/1.1 200 OK").ShouldBe(0);
            turnedAway.Count(s => s != "closed").ShouldBe(0);
            (await FailuresAsync(proxy)).ShouldBe(0);
            proxy.Output.ShouldContain(line => line.Contains("--max-connections 40 leaves fewer than 1024 of the 160 file descriptors", StringComparison.Ordinal));
        }
        finally
        {
            await Task.WhenAll(held.Concat(idle).Select(c => c.DisposeAsync().AsTask()));
        }
    }
}
