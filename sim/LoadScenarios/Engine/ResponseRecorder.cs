using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
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

    private readonly Recorder _latency = NewRecorder();

    // The same latencies again by backend and status class, for the interval log's tagged lines.
    private readonly ConcurrentDictionary<(string Backend, int StatusClass), Recorder> _tagged = new();

    private readonly long[] _errors = new long[Enum.GetValues<ErrorKind>().Length];
    // A counter per key, incremented in place: the keys are few and come early, so after the
    // first answers a count is a lock-free lookup and one Interlocked (AddOrUpdate took the
    // bucket's lock, which the lean client's loop threads contended for on every answer).
    private readonly ConcurrentDictionary<string, StrongBox<long>> _backends = new();
    private readonly ConcurrentDictionary<int, StrongBox<long>> _statuses = new();
    private long _completed;
    private long _bytes;

    public volatile bool Measuring;

    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Responses by backend over the whole run, warm-up included: the distribution is a property of every ticket the proxy gave out.</summary>
    public Dictionary<string, long> BackendsAllPhases() => _backends.ToDictionary(b => b.Key, b => Interlocked.Read(ref b.Value.Value));

    /// <summary>Measured responses by status.</summary>
    public Dictionary<int, long> StatusCodes() => _statuses.ToDictionary(s => s.Key, s => Interlocked.Read(ref s.Value.Value));

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
            Interlocked.Increment(ref _backends.GetOrAdd(backend, static _ => new StrongBox<long>()).Value);
        }

        if (!measured)
        {
            return;
        }

        Interlocked.Increment(ref _completed);
        Interlocked.Add(ref _bytes, bytes);
        Interlocked.Increment(ref _statuses.GetOrAdd(status, static _ => new StrongBox<long>()).Value);
        if (status >= 500)
        {
            Interlocked.Increment(ref _errors[(int)ErrorKind.ServerError]);
        }

        var micros = Math.Clamp((long)latency.TotalMicroseconds, 1, HighestLatencyMicros);
        _latency.RecordValue(micros);
        _tagged.GetOrAdd((backend ?? "none", status / 100), static _ => NewRecorder()).RecordValue(micros);
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

    /// <summary>
    /// The latencies since the last call by backend and status class, tagged "b1/2xx" (a tag holds
    /// no comma or space); together they are what <see cref="TakeInterval"/> gives at the same moment.
    /// </summary>
    public List<(string Tag, HistogramBase Histogram)> TakeTaggedIntervals() =>
        [.. _tagged.OrderBy(t => t.Key).Select(t => (Tag(t.Key.Backend, t.Key.StatusClass), t.Value.GetIntervalHistogram()))];

    private static string Tag(string backend, int statusClass) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{string.Concat(backend.Select(c => c is ',' || char.IsWhiteSpace(c) ? '_' : c))}/{statusClass}xx");

    private static Recorder NewRecorder() => HistogramFactory.With64BitBucketSize()
        .WithValuesFrom(1).WithValuesUpTo(HighestLatencyMicros).WithPrecisionOf(3)
        .WithThreadSafeWrites().WithThreadSafeReads().Create();
}
