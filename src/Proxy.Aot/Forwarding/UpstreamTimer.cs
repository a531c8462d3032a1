using System.Collections.Concurrent;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// Cancels one upstream exchange when the client goes away or the backend is too slow, with the
/// timeouts nginx (proxy_send/read_timeout), HAProxy (timeout server) and YARP (ActivityTimeout)
/// use, each covering its own span:
/// <list type="bullet">
/// <item>while the request body streams up (<see cref="UpstreamPhase.Sending"/>) and the response
/// body streams down (<see cref="UpstreamPhase.Receiving"/>): the idle timeout, restarted by every
/// byte that moves either way;</item>
/// <item>from the end of the request to the response headers
/// (<see cref="UpstreamPhase.AwaitingResponse"/>): the response timeout, once.</item>
/// </list>
/// <para>
/// Progress costs one field write: the timer is armed once per exchange and, when it fires early
/// because bytes moved meanwhile, re-arms itself for what is left. Pooled, because a source,
/// registration and timer per request would be the forwarding path's largest allocation.
/// </para>
/// </summary>
internal sealed class UpstreamTimer : CancellationTokenSource
{
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<UpstreamTimer> s_pool = new();
    private static int s_pooled;

    private readonly Lock _lock = new();
    private readonly ITimer _timer;
    private CancellationTokenRegistration _clientRegistration;
    private CancellationToken _clientAborted;
    private UpstreamTimeouts _timeouts = null!;
    private int _phase;
    private long _phaseStarted;
    private long _lastProgress;
    private bool _armed;
    private volatile bool _waitingOnClient;

    private UpstreamTimer() => _timer = TimeProvider.System.CreateTimer(static state => ((UpstreamTimer)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    public static UpstreamTimer Rent(UpstreamTimeouts timeouts, CancellationToken clientAborted)
    {
        if (s_pool.TryDequeue(out var timer))
        {
            Interlocked.Decrement(ref s_pooled);
        }
        else
        {
            timer = new UpstreamTimer();
        }

        timer._timeouts = timeouts;
        timer._clientAborted = clientAborted;
        timer._clientRegistration = clientAborted.UnsafeRegister(static state => ((UpstreamTimer)state!).Cancel(), timer);
        return timer;
    }

    public bool ClientAborted => _clientAborted.IsCancellationRequested;

    /// <summary>The phase whose timeout fired, or <see cref="UpstreamPhase.None"/>.</summary>
    public UpstreamPhase Expired { get; private set; }

    /// <summary>The timeouts in force, with the errors they end in.</summary>
    public UpstreamTimeouts Timeouts => _timeouts;

    /// <summary>An attempt begins: its request body (if any) streams up first.</summary>
    public void Start(bool hasBody)
    {
        var now = Environment.TickCount64;
        _lastProgress = now;
        _phaseStarted = now;
        _waitingOnClient = false;
        Volatile.Write(ref _phase, (int)(hasBody ? UpstreamPhase.Sending : UpstreamPhase.AwaitingResponse));
        lock (_lock)
        {
            _armed = true;
            _timer.Change(_timeouts.FirstCheck, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Bytes moved between proxy and backend, either way.</summary>
    public void Progress() => _lastProgress = Environment.TickCount64;

    /// <summary>
    /// The proxy waits for the client (its next request body bytes, or room to write the
    /// response): that time is not the backend's idleness. The client's own slowness is
    /// Kestrel's to judge (--client-min-rate).
    /// </summary>
    public void WaitingOnClient(bool waiting)
    {
        _waitingOnClient = waiting;
        _lastProgress = Environment.TickCount64;
    }

    /// <summary>The whole request body was sent: the response timeout starts now (unless the response already began).</summary>
    public void RequestSent()
    {
        var now = Environment.TickCount64;
        _phaseStarted = now;
        _lastProgress = now;
        Interlocked.CompareExchange(ref _phase, (int)UpstreamPhase.AwaitingResponse, (int)UpstreamPhase.Sending);
    }

    /// <summary>Response headers arrived: from now on only idleness times out.</summary>
    public void ResponseStarted()
    {
        _lastProgress = Environment.TickCount64;
        Volatile.Write(ref _phase, (int)UpstreamPhase.Receiving);
    }

    /// <summary>The attempt is over: nothing may fire for it any more.</summary>
    public void Stop()
    {
        Volatile.Write(ref _phase, (int)UpstreamPhase.None);
        lock (_lock)
        {
            _armed = false;
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimer()
    {
        lock (_lock)
        {
            if (!_armed)
            {
                return;
            }

            var phase = (UpstreamPhase)Volatile.Read(ref _phase);
            var deadline = phase switch
            {
                UpstreamPhase.AwaitingResponse => _phaseStarted + _timeouts.ResponseMs,
                UpstreamPhase.Sending or UpstreamPhase.Receiving => _waitingOnClient ? Environment.TickCount64 + _timeouts.IdleMs : _lastProgress + _timeouts.IdleMs,
                _ => long.MaxValue,
            };
            if (deadline == long.MaxValue)
            {
                return;
            }

            var left = deadline - Environment.TickCount64;
            if (left > 0)
            {
                // Bytes moved (or the phase changed) since the timer was set: wait for what is
                // left. While awaiting the response, look again at least every quarter of the
                // idle timeout, so that a body that starts and then stalls is noticed in time.
                var wait = phase == UpstreamPhase.AwaitingResponse ? Math.Min(left, Math.Max(_timeouts.IdleMs / 4, 1)) : left;
                _timer.Change(TimeSpan.FromMilliseconds(wait), Timeout.InfiniteTimeSpan);
                return;
            }

            _armed = false;
            Expired = phase;
            // Inside the lock: Return (which takes it in Stop) cannot hand this source to
            // another request between the decision and the cancellation.
            Cancel();
        }
    }

    public void Return()
    {
        Stop();
        // Dispose waits for a running callback, so nothing can cancel this source after it.
        _clientRegistration.Dispose();
        _clientAborted = default;
        Expired = UpstreamPhase.None;
        if (TryReset())
        {
            if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
            {
                s_pool.Enqueue(this);
                return;
            }

            Interlocked.Decrement(ref s_pooled);
        }

        _timer.Dispose();
        Dispose();
    }
}

/// <summary>Where an upstream exchange is, for the timeout that applies.</summary>
internal enum UpstreamPhase
{
    None,
    Sending,
    AwaitingResponse,
    Receiving,
}
