using Microsoft.Extensions.Logging;

namespace RoundRobinLab.Proxy.Balancing;

/// <summary>
/// Strict (weighted) round robin over the backends currently in rotation.
/// <para>
/// Every pick takes one ticket from a single atomic counter and indexes the current schedule
/// with it: with equal weights the schedule is the healthy backends in order, so any N
/// consecutive picks give each of the k healthy backends ⌊N/k⌋ or ⌈N/k⌉, at any concurrency;
/// with weights it is one cycle of smooth weighted round robin (<see cref="SmoothSchedule"/>),
/// so any W consecutive picks (W the sum of the weights in rotation) give each backend exactly
/// its weight. When a backend leaves rotation the snapshot shrinks and the
/// same counter spreads its share over all survivors, instead of handing it to the next one in
/// the list (which is what skipping a dead entry does: its neighbour gets twice the load).
/// </para>
/// <para>
/// Passive health: a backend that refuses a connection is ejected at once; one that fails in any
/// other way (connect timeout, reset, invalid response, response or idle timeout) is ejected after
/// <c>maxFails</c> failures in a row, and any success resets that count (nginx's max_fails,
/// Envoy's consecutive gateway errors). An ejected backend is readmitted after the cool-down; if
/// it is still down, its next request fails and ejects it again.
/// </para>
/// <para>
/// Panic: when no backend is in rotation, <see cref="PanicOrder"/> offers every configured backend
/// in turn, so a backend that is back before its cool-down ends serves at once (nginx never marks
/// the only server of an upstream down; YARP's HealthyOrPanic). One that answers is readmitted.
/// </para>
/// <para>
/// Runtime changes (the admin API): <see cref="Replace"/> swaps the configured set in one step,
/// keeping the counters of backends that stay; removed ones take no new requests, finish what they
/// have in flight and are then forgotten. <see cref="Drain"/> takes one out of rotation the same
/// way while keeping it configured. Every change publishes a new schedule; the ticket counter
/// goes on, so no request is lost or sent twice across a change.
/// </para>
/// </summary>
internal sealed partial class BackendPool : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _ejectDuration;
    private readonly int _maxFails;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    // Removed by Replace with requests still in flight; under the lock.
    private readonly List<Backend> _leaving = [];
    // The configured set, in order (drained ones included); replaced whole, never mutated.
    private volatile Backend[] _all;
    private volatile Backend[] _healthy;
    private int _nextIndex;
    private readonly TimeSpan _slowStart;
    // Runs while a backend ramps up to its weight; under the lock.
    private ITimer? _rampTimer;
    // What Next indexes: _healthy itself with equal weights, else one smooth cycle of it.
    private volatile Backend[] _schedule;
    private long _next;

    /// <param name="weights">One per address (1-100), or null for all 1.</param>
    /// <param name="slowStart">How long a backend that joins or comes back takes to reach its full weight; zero: at once.</param>
    public BackendPool(IReadOnlyList<Uri> addresses, TimeSpan ejectDuration, TimeProvider time, ILogger<BackendPool> logger, int maxFails = 3, IReadOnlyList<int>? weights = null,
        TimeSpan slowStart = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFails, 1);
        _maxFails = maxFails;
        ArgumentOutOfRangeException.ThrowIfZero(addresses.Count);
        if (weights is not null && weights.Count != addresses.Count)
        {
            throw new ArgumentException($"{weights.Count} weights for {addresses.Count} backends.", nameof(weights));
        }

        var all = new Backend[addresses.Count];
        for (var i = 0; i < all.Length; i++)
        {
            all[i] = new Backend(_nextIndex++, addresses[i], weights?[i] ?? 1);
        }

        _ejectDuration = ejectDuration;
        _time = time;
        _logger = logger;
        _slowStart = slowStart;
        _all = all;
        _healthy = all;
        _schedule = Schedule(all);
    }

    /// <summary>The configured backends, in order (drained ones included, removed ones not).</summary>
    public IReadOnlyList<Backend> All => _all;

    /// <summary>The configured set as the logs show it: "URL" or "URL weight=N", comma-separated, as --backends takes it.</summary>
    public string Describe() => string.Join(", ", _all.Select(b => b.Weight == 1 ? b.Prefix : $"{b.Prefix} weight={b.Weight}"));

    public int HealthyCount => _healthy.Length;

    /// <summary>The next backend in rotation, or null when every backend is ejected.</summary>
    public Backend? Next()
    {
        var schedule = _schedule;
        if (schedule.Length == 0)
        {
            return null;
        }

        // Increment returns the new value; subtract 1 so the first pick is schedule[0].
        // Unsigned modulo keeps the index valid after the counter wraps.
        var ticket = (ulong)(Interlocked.Increment(ref _next) - 1);
        return schedule[(int)(ticket % (ulong)schedule.Length)];
    }

    /// <summary>
    /// The next backend in rotation that is not in <paramref name="tried"/> (a retry must go
    /// elsewhere), or null when none is left.
    /// </summary>
    public Backend? NextExcluding(IReadOnlyCollection<Backend> tried)
    {
        // One ticket, then along the schedule from there: every backend in rotation is in one
        // cycle, however small its weight (taking further tickets could miss a backend of weight
        // 1 among weights of 100), and the retry takes no more than its one place in the rotation.
        var schedule = _schedule;
        if (schedule.Length == 0)
        {
            return null;
        }

        var start = (ulong)(Interlocked.Increment(ref _next) - 1) % (ulong)schedule.Length;
        for (var step = 0UL; step < (ulong)schedule.Length; step++)
        {
            var candidate = schedule[(int)((start + step) % (ulong)schedule.Length)];
            if (!Contains(tried, candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// Every configured backend once, starting at a rotating offset so that panic traffic is
    /// spread too: for a request that found no backend in rotation.
    /// </summary>
    public IEnumerable<Backend> PanicOrder()
    {
        // Drained backends stay out even in panic: the operator took them out on purpose.
        var all = _all;
        var start = (int)((ulong)(Interlocked.Increment(ref _next) - 1) % (ulong)all.Length);
        for (var i = 0; i < all.Length; i++)
        {
            var backend = all[(start + i) % all.Length];
            if (!backend.Drained)
            {
                yield return backend;
            }
        }
    }

    /// <summary>
    /// A failure through the backend's fault. <paramref name="ejectAtOnce"/> for a refused
    /// connection (nothing listens: no point in asking again); otherwise the backend is ejected
    /// once it has failed --max-fails times in a row.
    /// </summary>
    public void ReportFailure(Backend backend, bool ejectAtOnce, string reason)
    {
        var inARow = backend.OnFailed();
        if (ejectAtOnce)
        {
            Eject(backend, reason);
        }
        else if (inARow >= _maxFails)
        {
            Eject(backend, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{inARow} failures in a row, the last: {reason}"));
        }
    }

    /// <summary>
    /// An answer: resets the failure count. <paramref name="readmit"/> when the request was sent
    /// in panic: a backend that answers then is back at once. (Not otherwise: an answer to a
    /// request sent before the backend was ejected says little about it now.)
    /// </summary>
    public void ReportSuccess(Backend backend, bool readmit)
    {
        backend.OnSucceeded();
        if (readmit && !backend.Healthy)
        {
            Readmit(backend, "it answered while no backend was in rotation");
        }
    }

    /// <summary>Takes <paramref name="backend"/> out of rotation for the cool-down; no-op if it is out already.</summary>
    public void Eject(Backend backend, string reason)
    {
        lock (_lock)
        {
            if (!backend.Healthy)
            {
                return;
            }

            backend.Healthy = false;
            backend.OnEjected();
            Rebuild();
            backend.ReadmitTimer?.Dispose();
            backend.ReadmitTimer = _time.CreateTimer(_ => Readmit(backend, "after its cool-down"), null, _ejectDuration, Timeout.InfiniteTimeSpan);
        }

        BackendEjected(_logger, backend.Prefix, _ejectDuration.TotalSeconds, reason, _healthy.Length, _all.Length);
    }

    private void Readmit(Backend backend, string why)
    {
        lock (_lock)
        {
            if (backend.Healthy)
            {
                return;
            }

            backend.Healthy = true;
            backend.OnReadmitted();
            StartRamp(backend);
            Rebuild();
            backend.ReadmitTimer?.Dispose();
            backend.ReadmitTimer = null;
        }

        BackendReadmitted(_logger, backend.Prefix, why, _healthy.Length, _all.Length);
    }

    /// <summary>
    /// Replaces the configured set with <paramref name="backends"/> (address and weight, in
    /// order) in one step. A backend whose address stays keeps its counters, state and kept-alive
    /// connections (its weight may change); one that goes stops taking requests at once and is
    /// forgotten when its last one ends; a new one starts in rotation.
    /// </summary>
    public void Replace(IReadOnlyList<(Uri Address, int Weight)> backends)
    {
        ArgumentOutOfRangeException.ThrowIfZero(backends.Count);
        lock (_lock)
        {
            var next = new Backend[backends.Count];
            for (var i = 0; i < next.Length; i++)
            {
                var (address, weight) = backends[i];
                var backend = Find(_all, address) ?? Find(_leaving, address);
                if (backend is null)
                {
                    backend = new Backend(_nextIndex++, address, weight);
                    StartRamp(backend);
                }
                else
                {
                    // Back before it had gone: it stays, counters and all.
                    if (_leaving.Remove(backend))
                    {
                        backend.Connections.Reopen();
                    }

                    backend.Leaving = false;
                    backend.Weight = weight;
                }

                next[i] = backend;
            }

            foreach (var backend in _all)
            {
                if (Array.IndexOf(next, backend) < 0)
                {
                    // Its readmission timer stays: added back while ejected, it comes back as
                    // any ejected backend does. Idle connections close now; those of requests in
                    // flight close as they end.
                    backend.Leaving = true;
                    backend.Connections.Close();
                    _leaving.Add(backend);
                }
            }

            _all = next;
            Rebuild();
            ForgetFinished();
        }
    }

    /// <summary>
    /// One active health check's verdict. After <paramref name="fall"/> fails in a row a backend
    /// that was passing leaves the rotation; after <paramref name="rise"/> passes in a row one that
    /// was failing comes back (and passive ejection must also have ended for it to get requests).
    /// </summary>
    public HealthChange ReportCheck(Backend backend, bool passed, int fall, int rise)
    {
        lock (_lock)
        {
            if (backend.Leaving)
            {
                return HealthChange.None;
            }

            backend.OnChecked(passed);
            // The streak counts verdicts unlike the current state: fails while up, passes while down.
            backend.CheckStreak = passed == backend.CheckedUp ? 0 : backend.CheckStreak + 1;
            if (backend.CheckStreak < (backend.CheckedUp ? fall : rise))
            {
                return HealthChange.None;
            }

            backend.CheckedUp = !backend.CheckedUp;
            backend.CheckStreak = 0;
            if (backend.CheckedUp)
            {
                StartRamp(backend);
            }

            Rebuild();
            return backend.CheckedUp ? HealthChange.Up : HealthChange.Down;
        }
    }

    /// <summary>Takes the backend at <paramref name="address"/> out of rotation (true) or puts it back (false); null when it is not configured.</summary>
    public Backend? Drain(Uri address, bool drain)
    {
        lock (_lock)
        {
            var backend = Find(_all, address);
            if (backend is not null && backend.Drained != drain)
            {
                backend.Drained = drain;
                if (!drain)
                {
                    StartRamp(backend);
                }

                Rebuild();
            }

            return backend;
        }
    }

    /// <summary>The configured backends, then the removed ones still finishing requests.</summary>
    public IReadOnlyList<Backend> WithLeaving()
    {
        lock (_lock)
        {
            ForgetFinished();
            return [.. _all, .. _leaving];
        }
    }

    /// <summary>Removed backends with nothing in flight are gone for good.</summary>
    private void ForgetFinished() => _leaving.RemoveAll(static backend => backend.InFlight == 0);

    private static Backend? Find(IEnumerable<Backend> backends, Uri address)
    {
        foreach (var backend in backends)
        {
            if (backend.Address == address)
            {
                return backend;
            }
        }

        return null;
    }

    /// <summary>Publishes a new snapshot in configuration order; callers hold the lock.</summary>
    private void Rebuild()
    {
        var count = 0;
        foreach (var backend in _all)
        {
            count += InRotation(backend) ? 1 : 0;
        }

        var healthy = new Backend[count];
        var i = 0;
        foreach (var backend in _all)
        {
            if (InRotation(backend))
            {
                healthy[i++] = backend;
            }
        }

        _schedule = Schedule(healthy);
        _healthy = healthy;
    }

    // Healthy by both checks, passive and active, and not taken out by the operator.
    private static bool InRotation(Backend backend) => backend.Healthy && backend.CheckedUp && !backend.Drained && !backend.Leaving;

    /// <summary>
    /// Slow start: <paramref name="backend"/> (back in rotation, or new) starts at the smallest
    /// share and climbs linearly to its weight over --slow-start; a timer rebuilds the schedule
    /// as it climbs. Callers hold the lock.
    /// </summary>
    private void StartRamp(Backend backend)
    {
        if (_slowStart <= TimeSpan.Zero)
        {
            return;
        }

        backend.RampStart = _time.GetTimestamp();
        // Twenty steps over the ramp: smooth enough for the share to climb, not a jump.
        var step = TimeSpan.FromTicks(Math.Max(_slowStart.Ticks / 20, TimeSpan.FromMilliseconds(50).Ticks));
        _rampTimer ??= _time.CreateTimer(static state => ((BackendPool)state!).Ramp(), this, step, step);
    }

    private void Ramp()
    {
        lock (_lock)
        {
            var ramping = false;
            foreach (var backend in _all)
            {
                if (backend.RampStart != 0 && _time.GetElapsedTime(backend.RampStart) >= _slowStart)
                {
                    backend.RampStart = 0;
                }

                ramping |= backend.RampStart != 0;
            }

            Rebuild();
            if (!ramping)
            {
                _rampTimer?.Dispose();
                _rampTimer = null;
            }
        }
    }

    /// <summary>
    /// One cycle over <paramref name="backends"/> by their effective weights. While one ramps,
    /// every weight is scaled by ten so that even a weight of 1 can start at a tenth of its share:
    /// the ramping one has max(1, 10·w·elapsed/slow-start), the others 10·w. Weights are divided by
    /// their greatest common divisor, so equal weights are the plain list again.
    /// </summary>
    private Backend[] Schedule(Backend[] backends)
    {
        const int RampScale = 10;
        Span<int> weights = backends.Length <= 256 ? stackalloc int[backends.Length] : new int[backends.Length];
        var scale = AnyRamping(backends) ? RampScale : 1;
        var divisor = 0;
        for (var i = 0; i < backends.Length; i++)
        {
            var backend = backends[i];
            var weight = backend.Weight * scale;
            if (backend.RampStart != 0)
            {
                var done = Math.Min(1.0, _time.GetElapsedTime(backend.RampStart) / _slowStart);
                weight = Math.Max(1, (int)Math.Round(weight * done));
            }

            weights[i] = weight;
            divisor = Gcd(divisor, weight);
        }

        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] /= Math.Max(divisor, 1);
        }

        var order = SmoothSchedule.Build(weights);
        if (order.Length == backends.Length)
        {
            // Equal weights: the backends in order are the whole cycle.
            return backends;
        }

        var schedule = new Backend[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            schedule[i] = backends[order[i]];
        }

        return schedule;
    }

    private static bool AnyRamping(Backend[] backends)
    {
        foreach (var backend in backends)
        {
            if (backend.RampStart != 0)
            {
                return true;
            }
        }

        return false;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    private static bool Contains(IReadOnlyCollection<Backend> tried, Backend candidate)
    {
        foreach (var backend in tried)
        {
            if (ReferenceEquals(backend, candidate))
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var backend in (IEnumerable<Backend>)[.. _all, .. _leaving])
            {
                backend.ReadmitTimer?.Dispose();
            }

            _rampTimer?.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} ejected for {Seconds}s: {Reason} ({Healthy}/{Total} in rotation)")]
    private static partial void BackendEjected(ILogger logger, string backend, double seconds, string reason, int healthy, int total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} readmitted {Why} ({Healthy}/{Total} in rotation)")]
    private static partial void BackendReadmitted(ILogger logger, string backend, string why, int healthy, int total);
}

/// <summary>What a health check's verdict changed.</summary>
internal enum HealthChange
{
    None,
    Down,
    Up,
}
