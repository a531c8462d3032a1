using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Health;
using RoundRobinLab.Proxy.Tests.Support;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Tests.Health;

public sealed class HealthCheckTests
{
    private static readonly HealthCheckOptions Fast = new("/health", TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), Fall: 2, Rise: 2);

    /// <summary>A backend that answers / with its id, and /health with 200 or 503 as told.</summary>
    private static Task<TestBackend> StartAsync(string id, Func<bool> healthy) =>
        TestBackend.StartAsync(id, async context =>
        {
            if (context.Request.Path == "/health")
            {
                context.Response.StatusCode = healthy() ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
                return;
            }

            await context.Response.WriteAsync(id);
        });

    [Fact]
    public async Task ABackendFailingItsHealthPath_LeavesTheRotation_AndComesBackWhenItPasses()
    {
        var sickHealthy = true;
        await using var sick = await StartAsync("sick", () => Volatile.Read(ref sickHealthy));
        await using var fine = await StartAsync("fine", () => true);
        await using var proxy = await ProxyUnderTest.StartAsync([sick.Address, fine.Address], s => s with { HealthChecks = Fast });
        var backend = proxy.Host.Pool.All[0];

        Volatile.Write(ref sickHealthy, false);
        await Eventually.HoldsAsync(() => !backend.CheckedUp);

        backend.State.ShouldBe("unhealthy");
        for (var i = 0; i < 4; i++)
        {
            (await proxy.Client.GetStringAsync("/")).ShouldBe("fine");
        }

        using (var view = JsonDocument.Parse(await proxy.Admin.GetStringAsync("/backends")))
        {
            view.RootElement.GetProperty("backends")[0].GetProperty("state").GetString().ShouldBe("unhealthy");
        }

        proxy.Logs.Entries.ShouldContain(e => e.Message.Contains("out of rotation: 2 health checks of /health failed in a row, the last: status 503"));
        Volatile.Write(ref sickHealthy, true);
        await Eventually.HoldsAsync(() => backend.CheckedUp);
        var answers = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await proxy.Client.GetStringAsync("/"));
        }

        answers.Count(a => a == "sick").ShouldBe(2);
        proxy.Logs.Entries.ShouldContain(e => e.Message.Contains("back in rotation: 2 health checks of /health passed in a row"));
    }

    [Fact]
    public async Task TheCheck_IsAGetOfThePathUnderTheBackendsPrefix_WithItsHost()
    {
        await using var backend = await StartAsync("b1", () => true);
        using var pool = new BackendPool([new Uri(backend.Address, "/api")], TimeSpan.FromSeconds(10), TimeProvider.System, NullLogger<BackendPool>.Instance);
        using var connector = new UpstreamConnector(() => pool.All, TimeSpan.FromSeconds(5));
        await using var checker = new HealthChecker(pool, connector, Fast with { Path = "/health" }, NullLogger<HealthChecker>.Instance);

        var verdict = await checker.CheckAsync(pool.All[0], CancellationToken.None);

        verdict.ShouldBeNull();
        var request = backend.Received.Single();
        request.Method.ShouldBe("GET");
        request.RawTarget.ShouldBe("/api/health");
        request.Headers["Host"].ShouldBe([backend.Address.Authority]);
        request.Headers["User-Agent"].ShouldBe(["rrproxy-health-check"]);
    }

    [Fact]
    public async Task ABackendThatNeverAnswers_FailsTheCheckAtTheTimeout()
    {
        // Accepted by the kernel's backlog, never read: a hung backend.
        using var hung = new TcpListener(IPAddress.Loopback, 0);
        hung.Start();
        using var pool = new BackendPool([new Uri($"http://127.0.0.1:{((IPEndPoint)hung.LocalEndpoint).Port}")], TimeSpan.FromSeconds(10), TimeProvider.System, NullLogger<BackendPool>.Instance);
        using var connector = new UpstreamConnector(() => pool.All, TimeSpan.FromSeconds(5));
        await using var checker = new HealthChecker(pool, connector, Fast with { Timeout = TimeSpan.FromMilliseconds(200) }, NullLogger<HealthChecker>.Instance);

        (await checker.CheckAsync(pool.All[0], CancellationToken.None)).ShouldBe("no answer within --health-timeout (0.2s)");
    }

    [Fact]
    public void ReportCheck_NeedsFallFailsInARowToTakeItOut_AndRisePassesToBringItBack()
    {
        using var pool = new BackendPool([new Uri("http://127.0.0.1:5001"), new Uri("http://127.0.0.1:5002")], TimeSpan.FromSeconds(10), TimeProvider.System, NullLogger<BackendPool>.Instance);
        var backend = pool.All[0];

        pool.ReportCheck(backend, passed: false, fall: 3, rise: 2).ShouldBe(HealthChange.None);
        pool.ReportCheck(backend, passed: true, fall: 3, rise: 2).ShouldBe(HealthChange.None);
        pool.ReportCheck(backend, passed: false, fall: 3, rise: 2).ShouldBe(HealthChange.None);
        pool.ReportCheck(backend, passed: false, fall: 3, rise: 2).ShouldBe(HealthChange.None);
        pool.ReportCheck(backend, passed: false, fall: 3, rise: 2).ShouldBe(HealthChange.Down);
        pool.HealthyCount.ShouldBe(1);
        pool.ReportCheck(backend, passed: true, fall: 3, rise: 2).ShouldBe(HealthChange.None);
        pool.ReportCheck(backend, passed: true, fall: 3, rise: 2).ShouldBe(HealthChange.Up);
        pool.HealthyCount.ShouldBe(2);
    }

    [Fact]
    public void AnEjectedBackend_ComesBackOnlyWhenBothChecksPass()
    {
        using var pool = new BackendPool([new Uri("http://127.0.0.1:5001"), new Uri("http://127.0.0.1:5002")], TimeSpan.FromHours(1), TimeProvider.System, NullLogger<BackendPool>.Instance);
        var backend = pool.All[0];
        pool.Eject(backend, "test");

        pool.ReportCheck(backend, passed: true, fall: 1, rise: 1).ShouldBe(HealthChange.None);

        pool.HealthyCount.ShouldBe(1);
        backend.State.ShouldBe("ejected");
    }
}
