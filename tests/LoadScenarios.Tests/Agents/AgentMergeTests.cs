using HdrHistogram;
using RoundRobinLab.Scenarios.Agents;
using RoundRobinLab.Scenarios.Analysis;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Histograms;
using RoundRobinLab.Scenarios.Reports;
using RoundRobinLab.Scenarios.Scenarios;

namespace RoundRobinLab.Scenarios.Tests.Agents;

public sealed class AgentMergeTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("agents-");

    public void Dispose() => _root.Delete(recursive: true);

    private static LongHistogram Histogram(IEnumerable<long> micros)
    {
        var histogram = new LongHistogram(ResponseRecorder.HighestLatencyMicros, 3);
        foreach (var value in micros)
        {
            histogram.RecordValue(value);
        }

        return histogram;
    }

    /// <summary>An agent's directory as a run leaves it: report.json from its result, latency.hlog with its latencies in two intervals.</summary>
    private AgentRun Agent(int index, long[] micros, Dictionary<string, long> backends)
    {
        var directory = Path.Combine(_root.FullName, $"agent-{index}");
        Directory.CreateDirectory(directory);
        var half = micros.Length / 2;
        var outcome = new RunOutcome
        {
            Latency = Histogram(micros),
            Measured = TimeSpan.FromSeconds(2),
            Completed = micros.Length,
            Bytes = micros.Length * 2L,
            Errors = Enum.GetValues<ErrorKind>().ToDictionary(k => k, k => 0L),
            StatusCodes = new() { [200] = micros.Length },
            BackendsAllPhases = backends,
            Timeline = [new(1, half, 0, 0, 0, []), new(2, micros.Length - half, 0, 0, 0, [])],
            Events = [],
        };
        var result = new ScenarioResult
        {
            Scenario = "steady",
            Purpose = "agent",
            Load = "open, 100 req/s for 2s (agent 1 of 3: every 3th request)",
            Target = "http://127.0.0.1:8080/",
            Started = DateTimeOffset.UtcNow,
            Outcome = outcome,
            Client = Distribution.Of(backends, backends.Keys),
        };
        result.Metrics = ScenarioMetrics.Compute(result);
        File.WriteAllText(Path.Combine(directory, "report.json"), ReportModel.From(result).ToJson());
        using (var log = new HlogWriter(Path.Combine(directory, "latency.hlog"), DateTimeOffset.UtcNow, "test"))
        {
            log.Append(Histogram(micros[..half]), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
            log.Append(Histogram(micros[half..]), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }

        return AgentRun.Load(directory);
    }

    [Fact]
    public void Merge_ThreeAgents_GivesTheSinglePercentilesTheSumOfCountsAndOneVerdict()
    {
        // One run's latencies dealt out to three agents, as the open model deals out its requests.
        var random = new Random(7);
        var all = Enumerable.Range(0, 3000).Select(_ => (long)(200 + (random.NextDouble() * random.NextDouble() * 50_000))).ToArray();
        var agents = Enumerable.Range(0, 3).Select(i => Agent(i, [.. all.Where((_, n) => n % 3 == i)],
            new() { ["b1"] = 334, ["b2"] = 333, ["b3"] = 333 })).ToList();

        var merged = AgentMerge.Merge(Catalogue.Find("steady")!, agents);

        var single = Histogram(all);
        foreach (var percentile in new[] { 50.0, 90, 99, 99.9, 100 })
        {
            // Added histograms are the single histogram: equal, not within a tolerance.
            merged.Outcome.Latency.GetValueAtPercentile(percentile).ShouldBe(single.GetValueAtPercentile(percentile));
        }

        merged.Outcome.Completed.ShouldBe(3000);
        merged.Outcome.BackendsAllPhases.ShouldBe(new Dictionary<string, long> { ["b1"] = 1002, ["b2"] = 999, ["b3"] = 999 }, ignoreOrder: true);
        merged.Outcome.Timeline.Select(p => p.Completed).ShouldBe([1500L, 1500L]);
        // Second 1's p99 from the agents' first intervals added: each agent's first half of its latencies.
        var firstSecond = Histogram(Enumerable.Range(0, 3).SelectMany(i => { var mine = all.Where((_, n) => n % 3 == i).ToArray(); return mine[..(mine.Length / 2)]; }));
        merged.Outcome.Timeline[0].P99Ms.ShouldBe(firstSecond.GetValueAtPercentile(99) / 1000.0);
        // steady's thresholds, once, on the whole: spread 3 fails spread<=1.
        merged.Thresholds.Single(t => t.Threshold == "spread<=1").Passed.ShouldBeFalse();
        merged.Thresholds.Single(t => t.Threshold == "errorcount==0").Passed.ShouldBeTrue();
    }

    [Fact]
    public void Load_ADirectoryWithoutItsHlog_SaysWhichFileIsMissing()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root.FullName, "incomplete")).FullName;
        File.WriteAllText(Path.Combine(directory, "report.json"), "{}");

        Should.Throw<FileNotFoundException>(() => AgentRun.Load(directory)).Message.ShouldContain("latency.hlog");
    }
}
