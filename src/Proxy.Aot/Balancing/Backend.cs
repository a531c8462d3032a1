using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Balancing;

/// <summary>
/// One configured backend: where it is, whether it is in rotation and what it has been sent.
/// Counters are updated with Interlocked on the hot path and read racily by the admin endpoints,
/// which is fine for statistics.
/// </summary>
internal sealed class Backend(int index, Uri address, int weight = 1)
{
    private long _requests;
    private long _failures;
    private long _inFlight;
    private long _ejections;
    private long _readmissions;
    private long _retries;
    private long _checksPassed;
    private long _checksFailed;
    // Failures since the last success: what --max-fails counts.
    private int _failuresInARow;

    public int Index { get; } = index;

    public Uri Address { get; } = address;

    /// <summary>
    /// Its share of the rotation: weight / the sum of the weights in rotation (1-100). Changed
    /// only under the pool's lock (PUT /backends), which then rebuilds the schedule.
    /// </summary>
    public int Weight { get; internal set; } = weight;

    /// <summary>scheme://host:port plus any path prefix, without a trailing slash: the start of every upstream URL.</summary>
    public string Prefix { get; } = address.AbsoluteUri.TrimEnd('/');

    /// <summary>The path prefix alone ("" or "/api"): what goes before the client's target on the request line.</summary>
    public string PathPrefix { get; } = address.AbsolutePath.TrimEnd('/');

    /// <summary>host[:port] as the Host header names it (the port only when it is not the scheme's default).</summary>
    public string Authority { get; } = address.Authority;

    /// <summary>Kept-alive connections to this backend, idle between requests.</summary>
    public ConnectionPool Connections { get; } = new();

    /// <summary>Written under the pool's lock; read without it.</summary>
    public volatile bool Healthy = true;

    /// <summary>Passing active health checks (always, when there are none); under the pool's lock.</summary>
    public volatile bool CheckedUp = true;

    /// <summary>Health checks in a row with the same verdict as the last one; under the pool's lock.</summary>
    internal int CheckStreak;

    /// <summary>Taken out of rotation by the operator (POST /backends/drain); under the pool's lock.</summary>
    public volatile bool Drained;

    /// <summary>Removed from the set (PUT /backends): it finishes what it has in flight and goes.</summary>
    public volatile bool Leaving;

    /// <summary>When its slow start began (a <see cref="TimeProvider"/> timestamp); 0: at full weight. Under the pool's lock.</summary>
    internal long RampStart;

    /// <summary>The readmission after an ejection's cool-down; under the pool's lock.</summary>
    internal ITimer? ReadmitTimer;

    /// <summary>What GET /backends shows: how the backend stands in the rotation.</summary>
    public string State => (Drained || Leaving) ? (InFlight > 0 ? "draining" : "drained") : !CheckedUp ? "unhealthy" : !Healthy ? "ejected" : RampStart != 0 ? "slow-start" : "active";

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Attempts that failed through the backend's fault (never the client's or the proxy's).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>How often the backend was taken out of rotation.</summary>
    public long Ejections => Interlocked.Read(ref _ejections);

    /// <summary>How often it came back after an ejection.</summary>
    public long Readmissions => Interlocked.Read(ref _readmissions);

    /// <summary>Requests it was sent as a retry, after another backend failed them.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    public long HealthChecksPassed => Interlocked.Read(ref _checksPassed);

    public long HealthChecksFailed => Interlocked.Read(ref _checksFailed);

    public void OnRetried() => Interlocked.Increment(ref _retries);

    public void OnChecked(bool passed) => Interlocked.Increment(ref passed ? ref _checksPassed : ref _checksFailed);

    /// <summary>Called under the pool's lock when the backend comes back after an ejection.</summary>
    public void OnReadmitted() => Interlocked.Increment(ref _readmissions);

    public void OnAttemptStarted()
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _inFlight);
    }

    /// <summary>Every started attempt ends exactly once, whatever happened (callers use finally).</summary>
    public void OnAttemptEnded() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Counts a failure; returns how many there have been in a row.</summary>
    public int OnFailed()
    {
        Interlocked.Increment(ref _failures);
        return Interlocked.Increment(ref _failuresInARow);
    }

    public void OnSucceeded()
    {
        // Read first: the common case (no failure pending) writes nothing to a shared cache line.
        if (Volatile.Read(ref _failuresInARow) != 0)
        {
            Volatile.Write(ref _failuresInARow, 0);
        }
    }

    /// <summary>Called under the pool's lock when the backend leaves rotation.</summary>
    public void OnEjected()
    {
        Interlocked.Increment(ref _ejections);
        Volatile.Write(ref _failuresInARow, 0);
    }

    public override string ToString() => Prefix;
}
