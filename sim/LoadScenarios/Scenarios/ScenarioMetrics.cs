using HdrHistogram;
using RoundRobinLab.Scenarios.Analysis;

namespace RoundRobinLab.Scenarios.Scenarios;

/// <summary>The metrics thresholds name, computed from a result.</summary>
public static class ScenarioMetrics
{
    public static Dictionary<string, double> Compute(ScenarioResult result)
    {
        var outcome = result.Outcome;
        var latency = outcome.Latency;
        var metrics = new Dictionary<string, double>
        {
            ["requests"] = outcome.Completed,
            ["rps"] = outcome.RequestsPerSecond,
            ["errors"] = outcome.Completed == 0 ? 0 : 100.0 * outcome.ErrorsTotal / outcome.Completed,
            ["errorcount"] = outcome.ErrorsTotal,
            ["spread"] = result.Client.Spread,
            ["deviation"] = 100 * result.Client.MaxRelativeDeviation,
            ["chi2p"] = result.Client.PValue,
            // Every backend the client heard from (not only those the distribution is judged on) against the backends' own counts.
            ["mismatch"] = result.Backends is null ? double.NaN : Mismatches(result.Outcome.BackendsAllPhases, result.Backends),
        };

        metrics["transport"] = outcome.Errors.Where(e => e.Key != Engine.ErrorKind.ServerError).Sum(e => e.Value);
        foreach (var (status, count) in outcome.StatusCodes)
        {
            metrics[$"status{status}"] = count;
        }

        if (latency.TotalCount > 0)
        {
            metrics["mean"] = latency.GetMean() / 1000.0;
            metrics["max"] = latency.GetMaxValue() / 1000.0;
            foreach (var (name, percentile) in new[] { ("p50", 50.0), ("p75", 75), ("p90", 90), ("p95", 95), ("p99", 99), ("p999", 99.9), ("p9999", 99.99) })
            {
                metrics[name] = latency.GetValueAtPercentile(percentile) / 1000.0;
            }
        }

        return metrics;
    }

    /// <summary>How many backends the two views count differently.</summary>
    public static int Mismatches(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b) =>
        a.Keys.Union(b.Keys).Count(key => a.GetValueOrDefault(key) != b.GetValueOrDefault(key));

    /// <summary>The spread among a subset of backends (e.g. the survivors of a failure).</summary>
    public static long SpreadAmong(IReadOnlyDictionary<string, long> counts, params string[] backends) =>
        backends.Max(b => counts.GetValueOrDefault(b)) - backends.Min(b => counts.GetValueOrDefault(b));
}
