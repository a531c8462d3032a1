using System.Collections.Concurrent;
using HdrHistogram;

namespace RoundRobinLab.Scenarios.Engine;

/// <summary>
/// Records every response: latency into an HdrHistogram recorder (microseconds, 3 significant
/// digits), and counts by status, error kind and backend. Safe to call from any number of
/// requests at once. Histograms are only ever merged (Add), never percentiles averaged.
/// </summary>
internal sealed class ResponseRecorder
{
    public const long HighestLatencyMicros = 60L * 60 * 1_000_000;

    private readonly Recorder _latency = HistogramFactory.With64BitBucketSize()
        .WithValuesFrom(1).WithValuesUpTo(HighestLatencyMicros).WithPrecisionOf(3)
        .WithThreadSafeWrites().WithThreadSafeReads().Create();

    private readonly long[] _errors = new long[Enum.GetValues<ErrorKind>().Length];
    private long _completed;
    private long _bytes;

    /// <summary>Responses by backend over the whole run, warm-up included: the distribution is a property of every ticket the proxy gave out.</summary>
    public ConcurrentDictionary<string, long> BackendsAllPhases { get; } = new();

    public ConcurrentDictionary<int, long> StatusCodes { get; } = new();

    public volatile bool Measuring;

    public long Completed => Interlocked.Read(ref _completed);

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Errors(ErrorKind kind) => Interlocked.Read(ref _errors[(int)kind]);

    public long ErrorsTotal => _errors.Sum();

    /// <summary>
    /// Records an answer. <paramref name="measured"/> is whether the request was sent in the
    /// measured phase: a warm-up request that answers late stays out of the results.
    /// </summary>
    public void RecordResponse(bool measured, int status, long bytes, string? backend, TimeSpan latency)
    {
        if (backend is not null)
        {
            BackendsAllPhases.AddOrUpdate(backend, 1, static (_, count) => count + 1);
        }

        if (!measured)
        {
            return;
        }

        Interlocked.Increment(ref _completed);
        Interlocked.Add(ref _bytes, bytes);
        StatusCodes.AddOrUpdate(status, 1, static (_, count) => count + 1);
        if (status >= 500)
        {
            Interlocked.Increment(ref _errors[(int)ErrorKind.ServerError]);
        }

        _latency.RecordValue(Math.Clamp((long)latency.TotalMicroseconds, 1, HighestLatencyMicros));
    }

    public void RecordError(bool measured, ErrorKind kind)
    {
        if (measured)
        {
            Interlocked.Increment(ref _completed);
            Interlocked.Increment(ref _errors[(int)kind]);
        }
    }

    /// <summary>The latencies recorded since the last call (the recorder swaps buffers underneath).</summary>
    public HistogramBase TakeInterval() => _latency.GetIntervalHistogram();
}
