using HdrHistogram;

namespace RoundRobinLab.Scenarios.Expectations;

/// <summary>The latencies of the requests one backend answered in one interval of the run (seconds into the measured phase).</summary>
public sealed record BackendInterval(double Start, double Length, string Backend, HistogramBase Histogram)
{
    public double Middle => Start + (Length / 2);
}
