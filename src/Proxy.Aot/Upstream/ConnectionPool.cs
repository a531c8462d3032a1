namespace RoundRobinLab.Proxy.Upstream;

/// <summary>
/// A backend's idle kept-alive connections. Last in, first out: the most recently used connection
/// is the least likely to have been closed by the backend meanwhile, and the ones at the bottom
/// age out (<see cref="Trim"/>), so the pool shrinks back after a burst. A lock over an array
/// rather than a concurrent collection: a rent and a return per request must not allocate.
/// </summary>
internal sealed class ConnectionPool
{
    /// <summary>
    /// Idle connections kept per backend; more are closed when they come back. Connections in use
    /// are bounded by the requests in flight, which --max-connections bounds (nginx's
    /// <c>keepalive</c> directive bounds idle connections the same way).
    /// </summary>
    public const int MaxIdle = 512;

    private readonly Lock _lock = new();
    private readonly UpstreamConnection?[] _idle = new UpstreamConnection?[MaxIdle];
    private int _count;
    // Set when the backend is removed: connections coming back are closed, not kept.
    private bool _closed;

    public int IdleCount => Volatile.Read(ref _count);

    public UpstreamConnection? TryRent()
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                return null;
            }

            var connection = _idle[--_count];
            _idle[_count] = null;
            return connection;
        }
    }

    /// <summary>Keeps <paramref name="connection"/> for the next request, or closes it when the pool is full.</summary>
    public void Return(UpstreamConnection connection)
    {
        connection.IdleSince = Environment.TickCount64;
        connection.Reused = true;
        lock (_lock)
        {
            if (_count < MaxIdle && !_closed)
            {
                _idle[_count++] = connection;
                return;
            }
        }

        connection.Dispose();
    }

    /// <summary>Closes every idle connection and every one returned from now on: the backend is gone.</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
        }

        Trim(long.MaxValue);
    }

    /// <summary>Keeps connections again: the backend was added back before it had gone.</summary>
    public void Reopen()
    {
        lock (_lock)
        {
            _closed = false;
        }
    }

    /// <summary>Closes the connections idle since before <paramref name="idleSince"/> (all of them with <see cref="long.MaxValue"/>).</summary>
    public void Trim(long idleSince)
    {
        List<UpstreamConnection>? expired = null;
        lock (_lock)
        {
            // The oldest are at the bottom: find how many there are, close them, shift the rest down.
            var old = 0;
            while (old < _count && _idle[old]!.IdleSince < idleSince)
            {
                (expired ??= []).Add(_idle[old]!);
                old++;
            }

            if (old > 0)
            {
                Array.Copy(_idle, old, _idle, 0, _count - old);
                Array.Clear(_idle, _count - old, old);
                _count -= old;
            }
        }

        if (expired is not null)
        {
            foreach (var connection in expired)
            {
                connection.Dispose();
            }
        }
    }
}
