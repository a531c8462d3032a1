namespace RoundRobinLab.Proxy.Balancing;

/// <summary>
/// One configured backend: where it is, whether it is in rotation and what it has been sent.
/// Counters are updated with Interlocked on the hot path and read racily by the admin endpoints,
/// which is fine for statistics.
/// </summary>
internal sealed class Backend(int index, Uri address)
{
    private long _requests;
    private long _failures;
    private long _inFlight;

    public int Index { get; } = index;

    public Uri Address { get; } = address;

    /// <summary>scheme://host:port plus any path prefix, without a trailing slash: the start of every upstream URL.</summary>
    public string Prefix { get; } = address.AbsoluteUri.TrimEnd('/');

    /// <summary>Written under the pool's lock; read without it.</summary>
    public volatile bool Healthy = true;

    public long Requests => Interlocked.Read(ref _requests);

    public long Failures => Interlocked.Read(ref _failures);

    public long InFlight => Interlocked.Read(ref _inFlight);

    public void OnAttemptStarted()
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _inFlight);
    }

    public void OnAttemptEnded(bool failed)
    {
        Interlocked.Decrement(ref _inFlight);
        if (failed)
        {
            Interlocked.Increment(ref _failures);
        }
    }

    public override string ToString() => Prefix;
}
