using HdrHistogram;
using RoundRobinLab.Scenarios.Analysis;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Scenarios;

namespace RoundRobinLab.Scenarios.Tests.Reports;

/// <summary>
/// A synthetic run of the catalogue's backend-dies scenario, with numbers a reader can check by
/// hand: 200 req/s for 5 s over b1..b3; b2 goes down at 2 s and comes back at 4 s; in second 3
/// four requests get a 502 and one times out. Built as <see cref="ScenarioRunner"/> builds a
/// result, so the reports render it through their real code paths.
/// </summary>
internal static class SampleRun
{
    public const string ScenarioName = "backend-dies";

    public static readonly string[] BackendIds = ["b1", "b2", "b3"];

    /// <summary>One point per second of the measured phase, stamped at its end as the engine stamps them.</summary>
    public static List<TimelinePoint> Timeline() =>
    [
        new(1.0, 200, 0, 1.9, 8.1, new() { ["b1"] = 67, ["b2"] = 67, ["b3"] = 66 }),
        new(2.0, 200, 0, 2.0, 8.4, new() { ["b1"] = 67, ["b2"] = 66, ["b3"] = 67 }),
        // b2 is down: the proxy retries onto b1 and b3; four 502s and a timeout carry no backend id.
        new(3.0, 200, 5, 2.6, 41.0, new() { ["b1"] = 98, ["b2"] = 0, ["b3"] = 97 }),
        new(4.0, 200, 0, 2.1, 9.0, new() { ["b1"] = 100, ["b2"] = 0, ["b3"] = 100 }),
        new(5.0, 200, 0, 1.9, 8.2, new() { ["b1"] = 67, ["b2"] = 67, ["b3"] = 66 }),
    ];

    /// <summary>The client's counts over the whole run: the timeline's plus 400 warm-up requests.</summary>
    public static Dictionary<string, long> ClientCounts() => new() { ["b1"] = 532, ["b2"] = 334, ["b3"] = 529 };

    /// <summary>What the engine measured: 1000 requests in 5 s, b2 down from 2 s to 4 s, 5 errors in second 3.</summary>
    public static RunOutcome Outcome() => new()
    {
        Latency = Latencies(),
        Measured = TimeSpan.FromSeconds(5),
        Completed = 1000,
        Bytes = 1000 * 180,
        Errors = new()
        {
            [ErrorKind.Connect] = 0,
            [ErrorKind.Timeout] = 1,
            [ErrorKind.Reset] = 0,
            [ErrorKind.BadResponse] = 0,
            [ErrorKind.ServerError] = 4,
        },
        StatusCodes = new() { [200] = 995, [502] = 4 },
        BackendsAllPhases = ClientCounts(),
        Timeline = Timeline(),
        Events = [new(2.0, "b2 down"), new(4.0, "b2 up")],
    };

    public static ScenarioResult Result()
    {
        var scenario = Catalogue.Find(ScenarioName)!;
        var even = scenario.EvenAmong!;
        var result = new ScenarioResult
        {
            Scenario = scenario.Name,
            Purpose = scenario.Purpose,
            Load = LoadSimulation.Rate(200, TimeSpan.FromSeconds(5)).Describe() + ", keep-alive",
            Target = "http://127.0.0.1:8080/",
            Started = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
            Outcome = Outcome(),
            Client = Distribution.Of(ClientCounts().Where(c => even.Contains(c.Key)).ToDictionary(), even),
            // b2 logged one request more than the client saw answered: the one that timed out.
            Backends = new() { ["b1"] = 532, ["b2"] = 335, ["b3"] = 529 },
            // The proxy counts its retries too.
            Proxy = new() { ["b1"] = 532, ["b2"] = 339, ["b3"] = 529 },
            ProxyRotationChanges = 2,
        };

        // What ScenarioRunner.Finish (private) does once a run is over.
        result.Metrics = ScenarioMetrics.Compute(result);
        result.Metrics["mismatch"] = ScenarioMetrics.Mismatches(result.Outcome.BackendsAllPhases, result.Backends);
        foreach (var (name, value) in scenario.ExtraMetrics(result))
        {
            result.Metrics[name] = value;
        }

        result.Thresholds = [.. scenario.Thresholds.Select(t => t.Evaluate(result.Metrics))];
        return result;
    }

    /// <summary>
    /// 999 answered requests (the timed-out one has no latency), 50 µs apart from 50 µs to
    /// 49.95 ms: p50 25 ms, p99 49.5 ms, mean 25 ms, within HdrHistogram's 3 significant digits.
    /// </summary>
    private static LongHistogram Latencies()
    {
        var histogram = new LongHistogram(ResponseRecorder.HighestLatencyMicros, 3);
        for (var i = 1; i <= 999; i++)
        {
            histogram.RecordValue(i * 50);
        }

        return histogram;
    }
}
