using System.Net;
using System.Text.Json;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Admin;

public sealed class AdminEndpointsTests
{
    [Fact]
    public async Task Stats_ReportsEveryBackendWithItsCounts()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var other = await TestBackend.StartAsync("b2");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address, other.Address]);
        for (var i = 0; i < 5; i++)
        {
            await proxy.Client.GetStringAsync("/");
        }

        using var stats = JsonDocument.Parse(await proxy.Admin.GetStringAsync("/stats"));

        stats.RootElement.GetProperty("healthy").GetInt32().ShouldBe(2);
        var backends = stats.RootElement.GetProperty("backends").EnumerateArray().ToArray();
        backends.Select(b => b.GetProperty("address").GetString()).ShouldBe([backend.Address.AbsoluteUri.TrimEnd('/'), other.Address.AbsoluteUri.TrimEnd('/')]);
        backends.Select(b => b.GetProperty("requests").GetInt64()).ShouldBe([3L, 2L]);
        backends.ShouldAllBe(b => b.GetProperty("healthy").GetBoolean() && b.GetProperty("failures").GetInt64() == 0 && b.GetProperty("inFlight").GetInt64() == 0);
        backends.ShouldAllBe(b => b.GetProperty("ejections").GetInt64() == 0);
    }

    [Fact]
    public async Task StatsAndMetrics_CountEjections()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        proxy.Host.Pool.Eject(proxy.Host.Pool.All[0], "test");

        using var stats = JsonDocument.Parse(await proxy.Admin.GetStringAsync("/stats"));
        var metrics = await proxy.Admin.GetStringAsync("/metrics");

        stats.RootElement.GetProperty("backends")[0].GetProperty("ejections").GetInt64().ShouldBe(1);
        metrics.ShouldContain("# TYPE rrproxy_backend_ejections_total counter\n");
        metrics.ShouldContain($"rrproxy_backend_ejections_total{{backend=\"{backend.Address.AbsoluteUri.TrimEnd('/')}\"}} 1\n");
    }

    [Fact]
    public async Task Metrics_CountKeptAliveConnectionsAndAllocatedBytes()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await proxy.Client.GetStringAsync("/");

        // The request's connection went back to the backend's pool once the response was relayed.
        await Eventually.HoldsAsync(() => proxy.Host.Pool.All[0].Connections.IdleCount == 1);
        var metrics = await proxy.Admin.GetStringAsync("/metrics");

        metrics.ShouldContain($"rrproxy_backend_idle_connections{{backend=\"{backend.Address.AbsoluteUri.TrimEnd('/')}\"}} 1\n");
        var allocated = metrics.Split('\n').Single(line => line.StartsWith("rrproxy_process_allocated_bytes_total ", StringComparison.Ordinal));
        long.Parse(allocated.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
        metrics.ShouldContain("# TYPE rrproxy_process_gc_collections_total counter\n");
    }

    [Fact]
    public async Task Metrics_AreInPrometheusTextFormat()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await proxy.Client.GetStringAsync("/");

        using var response = await proxy.Admin.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();

        response.Content.Headers.ContentType!.ToString().ShouldStartWith("text/plain; version=0.0.4");
        var label = $"{{backend=\"{backend.Address.AbsoluteUri.TrimEnd('/')}\"}}";
        text.ShouldContain("# TYPE rrproxy_backend_requests_total counter\n");
        text.ShouldContain($"rrproxy_backend_requests_total{label} 1\n");
        text.ShouldContain($"rrproxy_backend_healthy{label} 1\n");
        text.ShouldContain($"rrproxy_backend_in_flight{label} 0\n");
    }

    [Fact]
    public async Task Healthz_Is200WhileABackendIsInRotation_And503WithoutOne()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        (await proxy.Admin.GetAsync("/healthz")).StatusCode.ShouldBe(HttpStatusCode.OK);
        proxy.Host.Pool.Eject(proxy.Host.Pool.All[0], "test");
        (await proxy.Admin.GetAsync("/healthz")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task UnknownAdminPath_Is404NamingTheEndpoints()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        using var response = await proxy.Admin.GetAsync("/nope");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).ShouldBe("no admin endpoint at /nope; there are /healthz, /stats, /metrics and /backends\n");
        backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task AdminEndpoint_WithAnotherMethod_Is405AllowingGet()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        using var response = await proxy.Admin.PostAsync("/stats", new StringContent("{}"));

        response.StatusCode.ShouldBe(HttpStatusCode.MethodNotAllowed);
        response.Content.Headers.Allow.ShouldBe(["GET"]);
    }

    [Fact]
    public async Task Stats_IsJson_WhateverTheCaseOfItsPath()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        using var response = await proxy.Admin.GetAsync("/Stats");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        using var stats = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        stats.RootElement.GetProperty("total").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task StatsAndMetrics_CountRetriesReadmissionsAndState()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var dead = Loopback.UnusedAddress();
        await using var live = await TestBackend.StartAsync("live");
        await using var proxy = await ProxyUnderTest.StartAsync([dead, live.Address], time: time);

        // The dead backend refuses: ejected at once, the request retried on the live one.
        (await proxy.Client.GetStringAsync("/")).ShouldBe("live");
        using (var stats = JsonDocument.Parse(await proxy.Admin.GetStringAsync("/stats")))
        {
            var backends = stats.RootElement.GetProperty("backends");
            backends[0].GetProperty("state").GetString().ShouldBe("ejected");
            backends[1].GetProperty("retries").GetInt64().ShouldBe(1);
        }

        time.Advance(TimeSpan.FromSeconds(10));

        using (var stats = JsonDocument.Parse(await proxy.Admin.GetStringAsync("/stats")))
        {
            stats.RootElement.GetProperty("backends")[0].GetProperty("readmissions").GetInt64().ShouldBe(1);
            stats.RootElement.GetProperty("backends")[0].GetProperty("state").GetString().ShouldBe("active");
        }

        var metrics = await proxy.Admin.GetStringAsync("/metrics");
        metrics.ShouldContain($"rrproxy_backend_readmissions_total{{backend=\"{dead.AbsoluteUri.TrimEnd('/')}\"}} 1\n");
        metrics.ShouldContain($"rrproxy_backend_retries_total{{backend=\"{live.Address.AbsoluteUri.TrimEnd('/')}\"}} 1\n");
        metrics.ShouldContain($"rrproxy_backend_in_rotation{{backend=\"{dead.AbsoluteUri.TrimEnd('/')}\"}} 1\n");
    }

    [Fact]
    public async Task AdminPaths_OnTheProxiedPort_AreForwardedNotServed()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        (await proxy.Client.GetStringAsync("/stats")).ShouldBe("b1");
        backend.Received.Single().RawTarget.ShouldBe("/stats");
    }
}
