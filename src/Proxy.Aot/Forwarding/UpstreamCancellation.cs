using System.Collections.Concurrent;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// Cancels an upstream request when the client goes away or the backend is too slow to answer.
/// Pooled, because a fresh source, registration and timer per request would be the forwarding
/// path's largest allocation; TryReset makes a source that never fired reusable.
/// </summary>
internal sealed class UpstreamCancellation : CancellationTokenSource
{
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<UpstreamCancellation> s_pool = new();
    private static int s_pooled;

    private CancellationTokenRegistration _clientRegistration;
    private CancellationToken _clientAborted;

    public static UpstreamCancellation Rent(CancellationToken clientAborted)
    {
        if (s_pool.TryDequeue(out var cancellation))
        {
            Interlocked.Decrement(ref s_pooled);
        }
        else
        {
            cancellation = new UpstreamCancellation();
        }

        cancellation._clientAborted = clientAborted;
        cancellation._clientRegistration = clientAborted.UnsafeRegister(static state => ((UpstreamCancellation)state!).Cancel(), cancellation);
        return cancellation;
    }

    public bool ClientAborted => _clientAborted.IsCancellationRequested;

    /// <summary>Fired by the response timer rather than by the client leaving.</summary>
    public bool TimedOut => IsCancellationRequested && !ClientAborted;

    public void StartResponseTimer(TimeSpan timeout) => CancelAfter(timeout);

    /// <summary>Response headers arrived: the body may take as long as it takes.</summary>
    public void StopResponseTimer() => CancelAfter(Timeout.InfiniteTimeSpan);

    public void Return()
    {
        // Dispose waits for a running callback, so nothing can cancel this source after it.
        _clientRegistration.Dispose();
        _clientAborted = default;
        if (TryReset())
        {
            if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
            {
                s_pool.Enqueue(this);
                return;
            }

            Interlocked.Decrement(ref s_pooled);
        }

        Dispose();
    }
}
