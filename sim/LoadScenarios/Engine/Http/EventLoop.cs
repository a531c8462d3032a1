using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>
/// One thread and one epoll set driving a share of the lean client's connections, as each of
/// wrk's threads does. A connection's whole exchange runs here: its socket calls, its parsing, and
/// the code awaiting its answer (recording it, sending the next request), which the connection
/// completes inline. That is what the thread pool cost: with sockets' async completions, each
/// answer was one more wake-up of a pool thread (0.75 context switches per request against wrk's
/// 0.37, and as many again in the backend, whose requests then came one at a time instead of in
/// bursts). Only these sockets run inline; the process-wide switch
/// (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS) would also change the in-process fake backends.
/// </summary>
internal sealed unsafe class EventLoop : IDisposable
{
    private const int Capacity = 256;
    private const ulong WakeTag = ulong.MaxValue;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly long _sweepTicks;
    private readonly ConcurrentQueue<LeanConnection> _inbox = new();
    private readonly List<LeanConnection> _connections = [];
    private List<LeanConnection> _deferred = [];
    private List<LeanConnection> _deferring = [];
    private int _signalled;
    private volatile bool _aborting;
    private volatile bool _stopping;

    /// <param name="sweep">How often overdue exchanges are looked for: a timeout fires up to this late.</param>
    public EventLoop(string name, TimeSpan sweep)
    {
        _sweepTicks = (long)(sweep.TotalSeconds * Stopwatch.Frequency);
        _epoll = Epoll.Create();
        _wake = Epoll.CreateEventFd();
        Epoll.Add(_epoll, _wake, Epoll.In | Epoll.EdgeTriggered, WakeTag);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Whether the caller is this loop's thread (where a connection may act at once).</summary>
    public bool IsCurrent => Thread.CurrentThread == _thread;

    /// <summary>After Dispose: nothing will run any more.</summary>
    public bool Stopped => _stopping;

    /// <summary>Runs the connection's next exchange: now on this loop's thread, else as soon as the loop wakes.</summary>
    public void Start(LeanConnection connection)
    {
        if (IsCurrent)
        {
            connection.Start();
            return;
        }

        _inbox.Enqueue(connection);
        Wake();
    }

    /// <summary>Completes the connection's exchange on the loop's next turn (loop thread only).</summary>
    public void Defer(LeanConnection connection) => _deferred.Add(connection);

    /// <summary>Adds a connection to the loop (loop thread only); its id for the epoll events.</summary>
    public int Register(LeanConnection connection)
    {
        _connections.Add(connection);
        return _connections.Count - 1;
    }

    /// <summary>Watches a new socket of connection <paramref name="id"/>, edge-triggered.</summary>
    public void Watch(Socket socket, int id, uint generation) =>
        Epoll.Add(_epoll, socket.Handle, Epoll.In | Epoll.Out | Epoll.ReadHangUp | Epoll.EdgeTriggered, ((ulong)generation << 32) | (uint)id);

    /// <summary>Ends every exchange under way as timed out and closes every socket (the run is over).</summary>
    public void Abort()
    {
        _aborting = true;
        Wake();
    }

    public void Dispose()
    {
        _aborting = true;
        _stopping = true;
        Wake();
        if (!IsCurrent)
        {
            _thread.Join();
        }
    }

    private void Wake()
    {
        // One write per sleep: the loop clears the flag before it looks at its inbox.
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            Epoll.Signal(_wake);
        }
    }

    private void Run()
    {
        var events = (byte*)NativeMemory.Alloc((nuint)(Capacity * Epoll.EventSize));
        try
        {
            var nextSweep = Stopwatch.GetTimestamp() + _sweepTicks;
            while (true)
            {
                var waitMs = _deferred.Count > 0 || !_inbox.IsEmpty ? 0 : (int)Math.Max(1, Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), nextSweep).TotalMilliseconds);
                var count = Epoll.Wait(_epoll, events, Capacity, waitMs);
                for (var i = 0; i < count; i++)
                {
                    var data = Epoll.DataAt(events, i);
                    if (data == WakeTag)
                    {
                        Epoll.Drain(_wake);
                        continue;
                    }

                    _connections[(int)(uint)data].OnReady(Epoll.EventsAt(events, i), (uint)(data >> 32));
                }

                Volatile.Write(ref _signalled, 0);
                while (_inbox.TryDequeue(out var connection))
                {
                    connection.Start();
                }

                // Completions deferred now run on the next turn, after the sockets have had theirs.
                (_deferred, _deferring) = (_deferring, _deferred);
                foreach (var connection in _deferring)
                {
                    connection.CompleteDeferred();
                }

                _deferring.Clear();
                // By index: a completion runs its awaiter's code, which may add a connection.
                if (_aborting)
                {
                    for (var i = 0; i < _connections.Count; i++)
                    {
                        _connections[i].Abort();
                    }

                    // Stopping: once what was already handed over has been answered (as timed out).
                    if (_stopping && _inbox.IsEmpty && _deferred.Count == 0)
                    {
                        return;
                    }
                }

                var now = Stopwatch.GetTimestamp();
                if (now >= nextSweep)
                {
                    for (var i = 0; i < _connections.Count; i++)
                    {
                        _connections[i].TimeOutIfOverdue(now);
                    }

                    nextSweep = now + _sweepTicks;
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
            Epoll.Close(_wake);
            Epoll.Close(_epoll);
        }
    }
}
