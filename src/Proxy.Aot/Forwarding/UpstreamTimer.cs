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
/// An exchange costs field writes and no timer of its own: one heartbeat for the whole process
/// (every <see cref="HeartbeatPeriod"/>, as Kestrel checks its connections' timeouts once a
/// second) looks at every exchange under way and cancels the ones past their deadline. Arming and
/// disarming a timer per request took a lock in the timer queue twice per request. A timeout
/// fires within one period of its deadline. Sources are pooled, because one per request would be
/// the forwarding path's largest allocation.
/// </para>
/// </summary>
internal sealed class UpstreamTimer : CancellationTokenSource
{
    /// <summary>How often deadlines are checked: how late, at most, a timeout fires.</summary>
    public static readonly TimeSpan HeartbeatPeriod = TimeSpan.FromMilliseconds(50);

    private const int MaxPooled = 1024;

    // Idle → Armed (Start) → Idle (Stop), or Armed → Firing → Fired when the heartbeat cancels;
    // each transition out of Armed is a compare-exchange, so the exchange and the heartbeat
    // agree on who ended it.
    private const int Idle = 0;
    private const int Armed = 1;
    private const int Firing = 2;
    private const int Fired = 3;

    private static readonly ConcurrentQueue<UpstreamTimer> s_pool = new();
    private static int s_pooled;

    // One source per thread before the shared queue: requests run on the I/O thread that read
    // them, so most return their source to the thread that rents the next one.
    [ThreadStatic]
    private static UpstreamTimer? t_cached;

    // Every live source, pooled or in use, for the heartbeat to look at; changed only when a
    // source is created or dropped, which pooling makes rare.
    private static readonly Lock s_liveLock = new();
    private static readonly List<UpstreamTimer> s_live = [];
    private static ITimer? s_heartbeat;

    private CancellationTokenRegistration _clientRegistration;
    private CancellationToken _clientAborted;
    private UpstreamTimeouts _timeouts = null!;
    private int _state;
    private int _phase;
    private long _phaseStarted;
    private long _lastProgress;
    private volatile bool _waitingOnClient;

    private UpstreamTimer()
    {
    }

    public static UpstreamTimer Rent(UpstreamTimeouts timeouts, CancellationToken clientAborted)
    {
        var timer = t_cached;
        if (timer is not null)
        {
            t_cached = null;
        }
        else if (s_pool.TryDequeue(out timer))
        {
            Interlocked.Decrement(ref s_pooled);
        }
        else
        {
            timer = new UpstreamTimer();
            lock (s_liveLock)
            {
                s_live.Add(timer);
                s_heartbeat ??= TimeProvider.System.CreateTimer(static _ => Heartbeat(), null, HeartbeatPeriod, HeartbeatPeriod);
            }
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
        _phase = (int)(hasBody ? UpstreamPhase.Sending : UpstreamPhase.AwaitingResponse);
        // Publishes the fields above to the heartbeat.
        Volatile.Write(ref _state, Armed);
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
        var spin = new SpinWait();
        while (true)
        {
            var state = Interlocked.CompareExchange(ref _state, Idle, Armed);
            if (state != Firing)
            {
                // Armed (now Idle), Idle, or Fired: the cancellation, if any, is complete.
                Volatile.Write(ref _state, Idle);
                return;
            }

            // The heartbeat is cancelling this very exchange: let it finish first.
            spin.SpinOnce();
        }
    }

    private static void Heartbeat()
    {
        var now = Environment.TickCount64;
        lock (s_liveLock)
        {
            foreach (var timer in s_live)
            {
                if (Volatile.Read(ref timer._state) == Armed)
                {
                    timer.CheckDeadline(now);
                }
            }
        }
    }

    private void CheckDeadline(long now)
    {
        var phase = (UpstreamPhase)Volatile.Read(ref _phase);
        var deadline = phase switch
        {
            UpstreamPhase.AwaitingResponse => _phaseStarted + _timeouts.ResponseMs,
            UpstreamPhase.Sending or UpstreamPhase.Receiving => _waitingOnClient ? long.MaxValue : _lastProgress + _timeouts.IdleMs,
            _ => long.MaxValue,
        };
        if (now < deadline || Interlocked.CompareExchange(ref _state, Firing, Armed) != Armed)
        {
            return;
        }

        Expired = phase;
        Cancel();
        Volatile.Write(ref _state, Fired);
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
            if (t_cached is null)
            {
                t_cached = this;
                return;
            }

            if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
            {
                s_pool.Enqueue(this);
                return;
            }

            Interlocked.Decrement(ref s_pooled);
        }

        lock (s_liveLock)
        {
            s_live.Remove(this);
        }

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
