using RoundRobinLab.Scenarios.Analysis;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Expectations;
using RoundRobinLab.Scenarios.Thresholds;

namespace RoundRobinLab.Scenarios.Scenarios;

/// <summary>Everything a report shows about one run.</summary>
public sealed class ScenarioResult
{
    public required string Scenario { get; init; }

    public required string Purpose { get; init; }

    public required string Load { get; init; }

    public required string Target { get; init; }

    public required DateTimeOffset Started { get; init; }

    public required RunOutcome Outcome { get; init; }

    /// <summary>Per backend, as the client saw it (X-Backend-Id), warm-up included.</summary>
    public required Distribution Client { get; init; }

    /// <summary>Per backend, as the backends recorded it (WireMock's request log); null against an external target.</summary>
    public Dictionary<string, long>? Backends { get; init; }

    /// <summary>Per backend, as the proxy counted it (/stats, retries included); null against an external target.</summary>
    public Dictionary<string, long>? Proxy { get; init; }

    /// <summary>Ejections and readmissions the proxy counted (its /stats) by the end of the run.</summary>
    public long? ProxyRotationChanges { get; init; }

    public Dictionary<string, double> Metrics { get; set; } = [];

    public List<ThresholdResult> Thresholds { get; set; } = [];

    /// <summary>The proxy's /stats sampled during the run (which backends were in rotation); empty when nothing asked for it.</summary>
    public List<RotationSample> Rotation { get; init; } = [];

    /// <summary>Latencies per backend and interval, from the run's latency.hlog; empty when nothing asked for them.</summary>
    public List<BackendInterval> BackendLatency { get; init; } = [];

    public List<ExpectationResult> Expectations { get; set; } = [];

    public bool Passed => Thresholds.All(t => t.Passed) && Expectations.All(e => e.Passed);

    /// <summary>The latency percentile curve, for the chart: (percentile, ms).</summary>
    public List<(double Percentile, double Ms)> PercentileCurve()
    {
        var curve = new List<(double, double)>();
        if (Outcome.Latency.TotalCount == 0)
        {
            return curve;
        }

        foreach (var p in new[] { 0.0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100 })
        {
            curve.Add((p, Outcome.Latency.GetValueAtPercentile(p) / 1000.0));
        }

        return curve;
    }
}
