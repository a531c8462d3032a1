using HdrHistogram;
using RoundRobinLab.Scenarios.Histograms;

namespace RoundRobinLab.Scenarios.Engine;

/// <summary>
/// Once a second, turns the recorder's latest interval into a point of the timeline, adds it to
/// the run's merged histogram and reports progress. It alone owns that state: the run tells it
/// when the measured phase starts and when it ends, and both hand-overs take the same lock as a
/// tick, so a tick sees the phase switch entirely or not at all.
/// </summary>
internal sealed class TimelineSampler(ResponseRecorder recorder, Func<TimeSpan> elapsed, TimeSpan total, Func<long> inFlight, IProgress<Progress>? progress, string? intervalLog = null) : IAsyncDisposable
{
    private HlogWriter? _log;
    private TimeSpan _lastTick;
    private readonly Lock _gate = new();
    private readonly LongHistogram _merged = new(ResponseRecorder.HighestLatencyMicros, 3);
    private readonly List<TimelinePoint> _timeline = [];
    private Dictionary<string, long> _lastBackends = [];
    private TimeSpan _measuredStart;
    private long _lastCompleted;
    private long _lastErrors;
    private PeriodicTimer? _timer;
    private Task _ticking = Task.CompletedTask;

    /// <summary>Starts ticking once a second, on the thread pool.</summary>
    public void Start()
    {
        _timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var timer = _timer;
        _ticking = Task.Run(async () =>
        {
            while (await timer.WaitForNextTickAsync(CancellationToken.None))
            {
                Sample();
            }
        }, CancellationToken.None);
    }

    /// <summary>
    /// From now on answers count: the warm-up's interval is dropped and the timeline's seconds
    /// count from here. Returns when the measured phase started (run time).
    /// </summary>
    public TimeSpan StartMeasuring()
    {
        lock (_gate)
        {
            recorder.TakeInterval();
            recorder.TakeTaggedIntervals();
            recorder.Measuring = true;
            _measuredStart = elapsed();
            _lastTick = _measuredStart;
            if (intervalLog is not null)
            {
                _log = new HlogWriter(intervalLog, DateTimeOffset.UtcNow, "round-robin lab: latency in microseconds from when each request was due; tagged by backend and status class, the untagged line of an interval is their sum");
            }

            _lastCompleted = recorder.Completed;
            _lastErrors = recorder.ErrorsTotal;
            _lastBackends = recorder.BackendsAllPhases();
            return _measuredStart;
        }
    }

    /// <summary>
    /// Stops the ticks, then ends the measured phase and merges its last interval. Ticks stop
    /// first: one between the two would take the last interval and drop it as not measured.
    /// </summary>
    public async Task<(HistogramBase Latency, List<TimelinePoint> Timeline)> FinishAsync()
    {
        await DisposeAsync();
        lock (_gate)
        {
            recorder.Measuring = false;
            var last = recorder.TakeInterval();
            _merged.Add(last);
            Log(last, elapsed());
            _log?.Dispose();
            _log = null;
            return (_merged, _timeline);
        }
    }

    /// <summary>Stops the ticks (for a run that ends early); the timeline stays as it is.</summary>
    public async ValueTask DisposeAsync()
    {
        _timer?.Dispose();
        await _ticking;
    }

    /// <summary>One interval into the log: the untagged line, then one per backend and status class.</summary>
    private void Log(HistogramBase interval, TimeSpan now)
    {
        var tagged = recorder.TakeTaggedIntervals();
        if (_log is null)
        {
            return;
        }

        var start = _lastTick - _measuredStart;
        var length = now - _lastTick;
        _lastTick = now;
        _log.Append(interval, null, start, length);
        foreach (var (tag, histogram) in tagged.Where(t => t.Histogram.TotalCount > 0))
        {
            _log.Append(histogram, tag, start, length);
        }
    }

    /// <summary>One tick: what came in since the last one.</summary>
    internal void Sample()
    {
        Progress report;
        lock (_gate)
        {
            var interval = recorder.TakeInterval();
            var completed = recorder.Completed;
            var errors = recorder.ErrorsTotal;
            var now = elapsed();
            var backendsSoFar = recorder.BackendsAllPhases();
            if (recorder.Measuring)
            {
                _merged.Add(interval);
                Log(interval, now);
                var backends = backendsSoFar.ToDictionary(b => b.Key, b => b.Value - _lastBackends.GetValueOrDefault(b.Key));
                _timeline.Add(new TimelinePoint(Math.Round((now - _measuredStart).TotalSeconds, 1), completed - _lastCompleted, errors - _lastErrors,
                    interval.TotalCount > 0 ? interval.GetValueAtPercentile(50) / 1000.0 : 0, interval.TotalCount > 0 ? interval.GetValueAtPercentile(99) / 1000.0 : 0, backends));
            }

            _lastBackends = backendsSoFar;
            report = new Progress(now, total, !recorder.Measuring, completed, errors, completed - _lastCompleted, inFlight());
            _lastCompleted = completed;
            _lastErrors = errors;
        }

        progress?.Report(report);
    }
}
