using System.Diagnostics;
using System.Net;

namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>
/// The engine's own HTTP/1.1 client over plain sockets, for http:// targets on Linux: what a run
/// sets once (where to connect, the request heads, the timeout), the event loops (one per core,
/// as wrk runs one thread per core) and the idle connections. New connections go to the loops in
/// turn. At the end of the run (the stop token) every exchange still going ends as timed out.
/// </summary>
internal sealed class LeanHttpTransport : IHttpTransport
{
    private readonly EventLoop[] _loops;
    private readonly LeanConnectionPool _pool;
    private readonly CancellationTokenRegistration _stop;
    private int _nextLoop;
    private volatile bool _aborted;

    public LeanHttpTransport(LoadOptions options, CancellationToken stop)
    {
        if (options.Target.Scheme != Uri.UriSchemeHttp || !OperatingSystem.IsLinux())
        {
            throw new ArgumentException($"the lean client speaks plain HTTP/1.1 on Linux only, not {options.Target.Scheme}:// on {Environment.OSVersion.Platform}", nameof(options));
        }

        TimeoutTicks = (long)(options.ClientTimeout.TotalSeconds * Stopwatch.Frequency);
        NewConnectionPerRequest = options.NewConnectionPerRequest;
        Heads = new RequestHeadWriter(options.Target, options.NewConnectionPerRequest);
        // Resolved once per run (an address, or "localhost" from /etc/hosts: instant). A name
        // that does not resolve leaves none, and every request fails to connect.
        var addresses = options.Target.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6
            ? [IPAddress.Parse(options.Target.DnsSafeHost)]
            : Resolve(options.Target.DnsSafeHost);
        Endpoints = [.. addresses.Select(a => new IPEndPoint(a, options.Target.Port)).Select(e => (e, e.Serialize()))];
        // A timeout fires up to a tenth of itself late (at least 10 ms, at most 100 ms).
        var sweep = TimeSpan.FromTicks(Math.Clamp(options.ClientTimeout.Ticks / 10, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerMillisecond * 100));
        // One loop per core, as wrk -t<cores>. On this two-core machine one loop measured 80.5k
        // req/s against two loops' 115.0k (medians of 3 alternating rounds, two loops ahead in two).
        _loops = [.. Enumerable.Range(0, Environment.ProcessorCount).Select(i => new EventLoop($"lean http loop {i}", sweep))];
        _pool = new LeanConnectionPool(() => new LeanConnection(this, _loops[(int)((uint)Interlocked.Increment(ref _nextLoop) % (uint)_loops.Length)]));
        _stop = stop.UnsafeRegister(static transport => ((LeanHttpTransport)transport!).Abort(), this);
    }

    public IHttpExchanger Shared => _pool;

    /// <summary>The client timeout in Stopwatch ticks.</summary>
    public long TimeoutTicks { get; }

    public bool NewConnectionPerRequest { get; }

    public RequestHeadWriter Heads { get; }

    public RequestBodies Bodies { get; } = new();

    /// <summary>Where to connect, in order, each with its address as connect(2) takes it.</summary>
    public (IPEndPoint Endpoint, SocketAddress Address)[] Endpoints { get; }

    /// <summary>The run is over: exchanges end as timed out.</summary>
    public bool Aborted => _aborted;

    public IHttpExchanger OpenUser() => _pool.Rent();

    /// <summary>A user is done with its connection: it goes back to the idle ones.</summary>
    public void Return(LeanConnection connection) => _pool.Return(connection);

    public void Dispose()
    {
        _stop.Dispose();
        _aborted = true;
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }
    }

    private void Abort()
    {
        _aborted = true;
        foreach (var loop in _loops)
        {
            loop.Abort();
        }
    }

    private static IPAddress[] Resolve(string host)
    {
        try
        {
            return Dns.GetHostAddresses(host);
        }
        catch (System.Net.Sockets.SocketException)
        {
            return [];
        }
    }
}
