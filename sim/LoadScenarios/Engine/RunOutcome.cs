using HdrHistogram;

namespace RoundRobinLab.Scenarios.Engine;

/// <summary>One second of a run, for the rate-over-time chart.</summary>
public sealed record TimelinePoint(double Second, long Completed, long Errors, double P50Ms, double P99Ms, Dictionary<string, long> Backends);

/// <summary>A scenario action that ran, at this many seconds into the measured phase.</summary>
public sealed record RunEvent(double Second, string Label);

/// <summary>What a load run measured (warm-up excluded, except where said).</summary>
public sealed class RunOutcome
{
    public required HistogramBase Latency { get; init; }

    public required TimeSpan Measured { get; init; }

    public required long Completed { get; init; }

    public required long Bytes { get; init; }

    public required Dictionary<ErrorKind, long> Errors { get; init; }

    public required Dictionary<int, long> StatusCodes { get; init; }

    public required Dictionary<string, long> BackendsAllPhases { get; init; }

    public required List<TimelinePoint> Timeline { get; init; }

    /// <summary>What the scenario did during the run, and when (seconds into the measured phase).</summary>
    public required List<RunEvent> Events { get; init; }

    public long ErrorsTotal => Errors.Values.Sum();

    public double RequestsPerSecond => Measured.TotalSeconds > 0 ? Completed / Measured.TotalSeconds : 0;
}
