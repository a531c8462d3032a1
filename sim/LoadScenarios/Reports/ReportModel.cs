using System.Text.Json;
using System.Text.Json.Serialization;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Expectations;
using RoundRobinLab.Scenarios.Scenarios;
using RoundRobinLab.Scenarios.Thresholds;

namespace RoundRobinLab.Scenarios.Reports;

public sealed record BackendRow(string Backend, long Client, long? Backends, long? Proxy, double SharePercent);

public sealed record LatencySummary(double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs, double MeanMs);

public sealed record PercentilePoint(double Percentile, double Ms);

public sealed record DistributionSummary(long Total, long Spread, double MaxDeviationPercent, double ChiSquare, int DegreesOfFreedom, double PValue, bool Weighted);

/// <summary>A run as every report shows it; also the JSON report's schema.</summary>
public sealed record ReportModel(
    string Scenario,
    string Purpose,
    string Load,
    string Target,
    DateTimeOffset Started,
    double MeasuredSeconds,
    long Requests,
    double RequestsPerSecond,
    long Bytes,
    long Errors,
    Dictionary<string, long> ErrorsByKind,
    Dictionary<string, long> StatusCodes,
    LatencySummary? Latency,
    List<PercentilePoint> PercentileCurve,
    List<BackendRow> Backends,
    DistributionSummary Distribution,
    List<TimelinePoint> Timeline,
    List<RunEvent> Events,
    List<RotationSample> Rotation,
    Dictionary<string, double> Metrics,
    List<ThresholdResult> Thresholds,
    List<ExpectationResult> Expectations,
    bool Passed)
{
    public static ReportModel From(ScenarioResult result)
    {
        var outcome = result.Outcome;
        var client = outcome.BackendsAllPhases;
        var names = client.Keys.Union(result.Backends?.Keys ?? Enumerable.Empty<string>()).Union(result.Proxy?.Keys ?? Enumerable.Empty<string>()).Order(StringComparer.Ordinal).ToList();
        var total = Math.Max(1, client.Values.Sum());
        var latency = outcome.Latency.TotalCount == 0 ? null : new LatencySummary(
            result.Metrics["p50"], result.Metrics["p90"], result.Metrics["p99"], result.Metrics["p999"], result.Metrics["max"], result.Metrics["mean"]);
        var d = result.Client;
        return new ReportModel(
            result.Scenario, result.Purpose, result.Load, result.Target, result.Started,
            Math.Round(outcome.Measured.TotalSeconds, 2), outcome.Completed, Math.Round(outcome.RequestsPerSecond, 1), outcome.Bytes, outcome.ErrorsTotal,
            outcome.Errors.Where(e => e.Value > 0).ToDictionary(e => e.Key.ToString(), e => e.Value),
            outcome.StatusCodes.OrderBy(s => s.Key).ToDictionary(s => s.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), s => s.Value),
            latency,
            [.. result.PercentileCurve().Select(p => new PercentilePoint(p.Percentile, p.Ms))],
            [.. names.Select(n => new BackendRow(n, client.GetValueOrDefault(n), result.Backends?.GetValueOrDefault(n), result.Proxy?.GetValueOrDefault(n),
                Math.Round(100.0 * client.GetValueOrDefault(n) / total, 2)))],
            new DistributionSummary(d.Total, d.Spread, Math.Round(100 * d.MaxRelativeDeviation, 3), Math.Round(d.ChiSquare, 4), d.DegreesOfFreedom, Math.Round(d.PValue, 4), d.Weighted),
            outcome.Timeline,
            outcome.Events,
            result.Rotation,
            result.Metrics.Where(m => double.IsFinite(m.Value)).ToDictionary(m => m.Key, m => Math.Round(m.Value, 4)),
            result.Thresholds,
            result.Expectations,
            result.Passed);
    }

    public string ToJson() => JsonSerializer.Serialize(this, ReportJsonContext.Default.ReportModel);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(ReportModel))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
