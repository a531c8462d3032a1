using RoundRobinLab.Scenarios.Engine;

namespace RoundRobinLab.Scenarios.Expectations;

/// <summary>
/// What a run measured over time, as expectations read it; every time is in seconds into the
/// measured phase. Kept apart from the result so that tests can build one by hand.
/// </summary>
public sealed record RunRecord
{
    /// <summary>When each named timeline event ran (the moment its action was started).</summary>
    public Dictionary<string, double> Events { get; init; } = [];

    /// <summary>One point per second, each counting the second before its stamp.</summary>
    public List<TimelinePoint> Timeline { get; init; } = [];

    /// <summary>The proxy's /stats, sampled every ~200 ms.</summary>
    public List<RotationSample> Rotation { get; init; } = [];

    /// <summary>Latencies per backend and interval (from the run's latency.hlog).</summary>
    public List<BackendInterval> Latency { get; init; } = [];

    /// <summary>The end of the measured phase: the last point's stamp.</summary>
    public double End => Timeline.Count == 0 ? 0 : Timeline[^1].Second;
}
