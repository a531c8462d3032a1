using System.Net;
using HdrHistogram;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Engine.Http;
using RoundRobinLab.Scenarios.Tests.Engine.Http;

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

    /// <summary>The engine's two clients: every behaviour of a run holds for both.</summary>
    public static TheoryData<string> Clients => ["lean", "HttpClient"];

    private static Task<RunOutcome> RunAsync(LoadOptions options, string client) =>
        LoadRunner.RunAsync(options, stop => client == "lean" ? new LeanHttpTransport(options, stop) : new HttpClientTransport(options, stop), null, CancellationToken.None);

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

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task OpenModel_HoldsItsTargetRate(string client)
    {
        var outcome = await RunAsync(new LoadOptions
        {
            Target = Target,
            Simulation = LoadSimulation.Rate(200, TimeSpan.FromSeconds(3)),
            WarmUp = TimeSpan.FromSeconds(0.5),
        }, client);

        // Exactly 600 are due in the measured 3 s and all must complete; warm-up requests that
        // answer late do not count.
        outcome.Completed.ShouldBe(600);
        outcome.ErrorsTotal.ShouldBe(0);
        outcome.RequestsPerSecond.ShouldBe(200, tolerance: 200 * 0.1);
        outcome.Latency.TotalCount.ShouldBe(outcome.Completed);
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task OpenModel_ShowsATargetStall_ThatAClosedModelHides(string client)
    {
        var open = await RunAsync(new LoadOptions
        {
            Target = Target,
            Simulation = LoadSimulation.Rate(100, TimeSpan.FromSeconds(3)),
            WarmUp = TimeSpan.Zero,
            Actions = StallForOneSecond(),
        }, client);
        var closed = await RunAsync(new LoadOptions
        {
            Target = Target,
            Simulation = LoadSimulation.Users(1, TimeSpan.FromSeconds(3)),
            WarmUp = TimeSpan.Zero,
            Actions = StallForOneSecond(),
        }, client);

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

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Run_RecordsBackendsStatusesAndErrors(string client)
    {
        var outcome = await RunAsync(new LoadOptions
        {
            Target = Target,
            // The request bound, not the (generous) duration, ends this run.
            Simulation = LoadSimulation.Users(2, TimeSpan.FromSeconds(30)),
            WarmUp = TimeSpan.Zero,
            Requests = n => RequestSpec.Get(n % 2 == 0 ? "/a" : "/b"),
            MaxRequests = 100,
        }, client);

        outcome.Completed.ShouldBe(100);
        outcome.Measured.ShouldBeLessThan(TimeSpan.FromSeconds(30));
        outcome.StatusCodes.ShouldBe(new Dictionary<int, long> { [200] = 100 });
        outcome.BackendsAllPhases.ShouldBe(new Dictionary<string, long> { ["a"] = 50, ["b"] = 50 }, ignoreOrder: true);
    }

    [Fact]
    public async Task Run_WithAnIntervalLog_WritesTheMeasuredLatencies_UntaggedAndByBackendAndStatusClass()
    {
        var log = Path.Combine(Path.GetTempPath(), $"run-{Guid.NewGuid():N}.hlog");
        try
        {
            var outcome = await RunAsync(new LoadOptions
            {
                Target = Target,
                Simulation = LoadSimulation.Users(2, TimeSpan.FromSeconds(30)),
                WarmUp = TimeSpan.Zero,
                Requests = n => RequestSpec.Get(n % 2 == 0 ? "/a" : "/b"),
                MaxRequests = 100,
                IntervalLog = log,
            }, "lean");

            var intervals = RoundRobinLab.Scenarios.Histograms.HlogReader.Read(log);
            intervals.Where(i => i.Tag is null).Sum(i => i.Histogram.TotalCount).ShouldBe(outcome.Latency.TotalCount);
            intervals.Where(i => i.Tag == "a/2xx").Sum(i => i.Histogram.TotalCount).ShouldBe(50);
            intervals.Where(i => i.Tag == "b/2xx").Sum(i => i.Histogram.TotalCount).ShouldBe(50);
            intervals.Select(i => i.Tag).Distinct().Count().ShouldBe(3);
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Theory]
    [MemberData(nameof(Clients))]
    public async Task Run_AgainstNothing_CountsConnectErrors(string client)
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var outcome = await RunAsync(new LoadOptions
        {
            Target = new Uri($"http://127.0.0.1:{port}"),
            Simulation = LoadSimulation.Rate(50, TimeSpan.FromSeconds(1)),
            WarmUp = TimeSpan.Zero,
        }, client);

        outcome.Completed.ShouldBe(50);
        outcome.Errors[ErrorKind.Connect].ShouldBe(50);
    }

    [Fact]
    public async Task ClosedModel_OneConnectionPerUser_KeptFromWarmUpToTheEnd()
    {
        await using var server = new RawHttpServer((_, socket) => RawHttpServer.Write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));

        var outcome = await LoadRunner.RunAsync(new LoadOptions
        {
            Target = server.Address,
            Simulation = LoadSimulation.Users(4, TimeSpan.FromSeconds(1)),
            WarmUp = TimeSpan.FromSeconds(0.3),
        });

        outcome.ErrorsTotal.ShouldBe(0);
        outcome.Completed.ShouldBeGreaterThan(100);
        server.Accepted.ShouldBe(4);
    }

    [Fact]
    public async Task OpenModel_NewConnectionOnlyWhenNoneIsIdle_AtMostMaxInFlight()
    {
        // Answers take 50 ms and 10 are due each 10 ms: five would be in flight, three may be.
        await using var server = new RawHttpServer(async (_, socket) =>
        {
            await Task.Delay(50);
            await RawHttpServer.Write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        });

        var outcome = await LoadRunner.RunAsync(new LoadOptions
        {
            Target = server.Address,
            Simulation = LoadSimulation.Rate(100, TimeSpan.FromSeconds(1)),
            WarmUp = TimeSpan.Zero,
            MaxInFlight = 3,
        });

        outcome.Completed.ShouldBe(100);
        outcome.ErrorsTotal.ShouldBe(0);
        server.Accepted.ShouldBe(3);
    }

    [Theory]
    [InlineData("http://127.0.0.1:1/", "1.1", typeof(LeanHttpTransport))]
    [InlineData("http://127.0.0.1:1/", "2.0", typeof(HttpClientTransport))]
    [InlineData("https://127.0.0.1:1/", "1.1", typeof(HttpClientTransport))]
    public void Transport_LeanForPlainHttp11_HttpClientForTheRest(string target, string version, Type expected)
    {
        var options = new LoadOptions { Target = new Uri(target), Simulation = LoadSimulation.Users(1, TimeSpan.FromSeconds(1)), HttpVersion = Version.Parse(version) };

        using var transport = HttpTransports.For(options, CancellationToken.None);

        transport.ShouldBeOfType(expected);
    }
}
