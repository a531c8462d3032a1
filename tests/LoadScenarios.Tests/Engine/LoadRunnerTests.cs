using System.Net;
using HdrHistogram;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Scenarios.Engine;

namespace RoundRobinLab.Scenarios.Tests.Engine;

/// <summary>The engine against a real loopback server it can stall on demand.</summary>
public sealed class LoadRunnerTests : IAsyncLifetime
{
    private WebApplication _target = null!;
    private volatile TaskCompletionSource? _stall;

    private Uri Target => new(_target.Urls.First());

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _target = builder.Build();
        _target.Run(async context =>
        {
            if (_stall is { } stall)
            {
                await stall.Task.WaitAsync(context.RequestAborted);
            }

            context.Response.Headers["X-Backend-Id"] = context.Request.Path == "/b" ? "b" : "a";
            await context.Response.WriteAsync("ok");
        });
        await _target.StartAsync();
    }

    public async Task DisposeAsync() => await _target.DisposeAsync();

    /// <summary>
    /// A stall of the target of at least a whole second, starting a second into the measured
    /// phase. One action holds it for its own second, so a late timer cannot shorten it.
    /// </summary>
    private TimedAction[] StallForOneSecond() =>
    [
        new(TimeSpan.FromSeconds(1), "stall for 1 s", async () =>
        {
            var stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _stall = stall;
            await Task.Delay(TimeSpan.FromSeconds(1));
            _stall = null;
            stall.SetResult();
        }),
    ];

    [Fact]
    public async Task OpenModel_HoldsItsTargetRate()
    {
        var outcome = await LoadRunner.RunAsync(new LoadOptions
        {
            Target = Target,
            Simulation = LoadSimulation.Rate(200, TimeSpan.FromSeconds(3)),
            WarmUp = TimeSpan.FromSeconds(0.5),
        });

        // Exactly 600 are due in the measured 3 s and all must complete; warm-up requests that
        // answer late do not count.
        outcome.Completed.ShouldBe(600);
        outcome.ErrorsTotal.ShouldBe(0);
        outcome.RequestsPerSecond.ShouldBe(200, tolerance: 200 * 0.1);
        outcome.Latency.TotalCount.ShouldBe(outcome.Completed);
    }

    [Fact]
    public async Task OpenModel_ShowsATargetStall_ThatAClosedModelHides()
    {
        var open = await LoadRunner.RunAsync(new LoadOptions
        {
            Target = Target,
            Simulation = LoadSimulation.Rate(100, TimeSpan.FromSeconds(3)),
            WarmUp = TimeSpan.Zero,
            Actions = StallForOneSecond(),
        });
        var closed = await LoadRunner.RunAsync(new LoadOptions
        {
            Target = Target,
            Simulation = LoadSimulation.Users(1, TimeSpan.FromSeconds(3)),
            WarmUp = TimeSpan.Zero,
            Actions = StallForOneSecond(),
        });

        // Open: a third of the requests were due during the stall and waited for it, so the p90
        // and p99 are hundreds of milliseconds. Closed: one user sent one request that waited,
        // among thousands that did not, so the same stall barely reaches its p99.
        var openP90 = open.Latency.GetValueAtPercentile(90) / 1000.0;
        var closedP99 = closed.Latency.GetValueAtPercentile(99) / 1000.0;
        openP90.ShouldBeGreaterThan(500);
        closed.Completed.ShouldBeGreaterThan(500);
        closedP99.ShouldBeLessThan(100);
        (closed.Latency.GetMaxValue() / 1000.0).ShouldBeGreaterThan(900);
    }

    [Fact]
    public async Task Run_RecordsBackendsStatusesAndErrors()
    {
        var outcome = await LoadRunner.RunAsync(new LoadOptions
        {
            Target = Target,
            // The request bound, not the (generous) duration, ends this run.
            Simulation = LoadSimulation.Users(2, TimeSpan.FromSeconds(30)),
            WarmUp = TimeSpan.Zero,
            Requests = n => RequestSpec.Get(n % 2 == 0 ? "/a" : "/b"),
            MaxRequests = 100,
        });

        outcome.Completed.ShouldBe(100);
        outcome.Measured.ShouldBeLessThan(TimeSpan.FromSeconds(30));
        outcome.StatusCodes.ShouldBe(new Dictionary<int, long> { [200] = 100 });
        outcome.BackendsAllPhases.ShouldBe(new Dictionary<string, long> { ["a"] = 50, ["b"] = 50 }, ignoreOrder: true);
    }

    [Fact]
    public async Task Run_AgainstNothing_CountsConnectErrors()
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var outcome = await LoadRunner.RunAsync(new LoadOptions
        {
            Target = new Uri($"http://127.0.0.1:{port}"),
            Simulation = LoadSimulation.Rate(50, TimeSpan.FromSeconds(1)),
            WarmUp = TimeSpan.Zero,
        });

        outcome.Completed.ShouldBe(50);
        outcome.Errors[ErrorKind.Connect].ShouldBe(50);
    }
}
