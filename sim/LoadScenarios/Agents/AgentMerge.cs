using HdrHistogram;
using RoundRobinLab.Scenarios.Analysis;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Scenarios;

namespace RoundRobinLab.Scenarios.Agents;

/// <summary>
/// The runs of several agents as one: histograms added (never percentiles averaged), counts
/// summed, the timeline second by second, and the scenario's thresholds evaluated once on the
/// whole. What only the target knows (the backends' and the proxy's own counts) comes from
/// whoever ran the target, when it did.
/// </summary>
public static class AgentMerge
{
    public static ScenarioResult Merge(Scenario scenario, IReadOnlyList<AgentRun> agents, TargetCounts? target = null)
    {
        if (agents.Count == 0)
        {
            throw new ArgumentException("nothing to merge: no agent directories.");
        }

        var latency = new LongHistogram(ResponseRecorder.HighestLatencyMicros, 3);
        foreach (var interval in agents.SelectMany(a => a.Intervals).Where(i => i.Tag is null))
        {
            latency.Add(interval.Histogram);
        }

        var reports = agents.Select(a => a.Report).ToList();
        var client = Sum(reports.SelectMany(r => r.Backends.Select(b => (b.Backend, b.Client))));
        var outcome = new RunOutcome
        {
            Latency = latency,
            // The agents ran at the same time: the load lasted as long as the longest of them.
            Measured = TimeSpan.FromSeconds(reports.Max(r => r.MeasuredSeconds)),
            Completed = reports.Sum(r => r.Requests),
            Bytes = reports.Sum(r => r.Bytes),
            Errors = Enum.GetValues<ErrorKind>().ToDictionary(k => k, k => reports.Sum(r => r.ErrorsByKind.GetValueOrDefault(k.ToString()))),
            StatusCodes = Sum(reports.SelectMany(r => r.StatusCodes.Select(s => (s.Key, s.Value)))).ToDictionary(s => int.Parse(s.Key, System.Globalization.CultureInfo.InvariantCulture), s => s.Value),
            BackendsAllPhases = client,
            Timeline = Timeline(agents),
            Events = [.. (target?.Events ?? reports.SelectMany(r => r.Events).DistinctBy(e => (e.Second, e.Label))).OrderBy(e => e.Second)],
        };
        var even = scenario.EvenAmong ?? [.. client.Keys.Union(target?.Backends?.Keys ?? Enumerable.Empty<string>()).Order(StringComparer.Ordinal)];
        var weights = scenario.Setup.Weights?.Select((w, i) => ($"b{i + 1}", w)).ToDictionary();
        var result = new ScenarioResult
        {
            Scenario = scenario.Name,
            Purpose = scenario.Purpose,
            Load = $"{reports[0].Load.Split(" (agent ")[0]}; from {agents.Count} agents, merged",
            Target = reports[0].Target,
            Started = reports.Min(r => r.Started),
            Outcome = outcome,
            Client = Distribution.Of(client.Where(c => even.Contains(c.Key)).ToDictionary(), even, weights),
            Backends = target?.Backends,
            Proxy = target?.Proxy,
            ProxyRotationChanges = target?.RotationChanges,
            Rotation = [.. target?.Rotation ?? []],
            // Every agent's per-backend intervals: an expectation adds those of a window, whoever measured them.
            BackendLatency = [.. agents.SelectMany(a => a.Intervals.Where(i => i.Tag is not null)
                .Select(i => new Expectations.BackendInterval(i.Start.TotalSeconds, i.Length.TotalSeconds, i.Tag![..i.Tag!.LastIndexOf('/')], i.Histogram)))],
        };
        return ScenarioRunner.Finish(scenario, result);
    }

    /// <summary>
    /// Second i of the merged run is second i of every agent (they start together): counts
    /// summed, p50 and p99 from the agents' i-th interval histograms added.
    /// </summary>
    private static List<TimelinePoint> Timeline(IReadOnlyList<AgentRun> agents)
    {
        var points = new List<TimelinePoint>();
        var seconds = agents.Max(a => a.Report.Timeline.Count);
        for (var i = 0; i < seconds; i++)
        {
            var at = agents.Where(a => i < a.Report.Timeline.Count).Select(a => a.Report.Timeline[i]).ToList();
            var histogram = new LongHistogram(ResponseRecorder.HighestLatencyMicros, 3);
            foreach (var interval in agents.Select(a => a.Intervals.Where(x => x.Tag is null).ElementAtOrDefault(i)).OfType<Histograms.HlogInterval>())
            {
                histogram.Add(interval.Histogram);
            }

            points.Add(new TimelinePoint(at[0].Second, at.Sum(p => p.Completed), at.Sum(p => p.Errors),
                histogram.TotalCount > 0 ? histogram.GetValueAtPercentile(50) / 1000.0 : 0,
                histogram.TotalCount > 0 ? histogram.GetValueAtPercentile(99) / 1000.0 : 0,
                Sum(at.SelectMany(p => p.Backends.Select(b => (b.Key, b.Value))))));
        }

        return points;
    }

    private static Dictionary<string, long> Sum(IEnumerable<(string Key, long Value)> counts)
    {
        var sums = new Dictionary<string, long>();
        foreach (var (key, value) in counts)
        {
            sums[key] = sums.GetValueOrDefault(key) + value;
        }

        return sums;
    }
}

/// <summary>
/// What the target's side counted while the agents ran: the backends' own counts, the proxy's, its
/// rotation changes, the scenario's events and the proxy's /stats samples (for expectations).
/// </summary>
public sealed record TargetCounts(Dictionary<string, long>? Backends, Dictionary<string, long>? Proxy, long? RotationChanges, IReadOnlyList<RunEvent>? Events, IReadOnlyList<Expectations.RotationSample>? Rotation = null);
