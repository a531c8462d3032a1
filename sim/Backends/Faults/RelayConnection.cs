using System.Net;
using System.Net.Sockets;

namespace RoundRobinLab.Backends.Faults;

/// <summary>
/// One client connection through the relay: the client's socket, the one to the backend, a pump
/// each way, and the toxics as this connection has them. <see cref="Refresh"/> is how a change
/// to the relay's toxics reaches an open connection: the pumps read the new toxics at their next
/// chunk, a pump held by a timeout wakes, and a timeout toxic's clock starts.
/// </summary>
internal sealed class RelayConnection(TcpRelay relay, Socket client) : IDisposable
{
    private readonly Socket _backend = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private readonly CancellationTokenSource _closing = new();
    private readonly Lock _lock = new();
    private IReadOnlyList<Toxic>? _applied;
    private Dictionary<Toxic, ToxicState> _states = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile StreamToxics _upstream = StreamToxics.None;
    private volatile StreamToxics _downstream = StreamToxics.None;
    private int _closed;

    public TcpRelay Relay => relay;

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Cancelled when the connection ends: every delay a toxic makes waits on it.</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>Completes at the next change of this connection's toxics, or when it closes. Read it before <see cref="For"/>.</summary>
    public Task Changed
    {
        get
        {
            lock (_lock)
            {
                return _changed.Task;
            }
        }
    }

    public StreamToxics For(bool upstream) => upstream ? _upstream : _downstream;

    public async Task RunAsync(int backendPort)
    {
        try
        {
            await _backend.ConnectAsync(new IPEndPoint(IPAddress.Loopback, backendPort), _closing.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The backend refuses (down, or going down). Having accepted, the nearest the relay can
            // come to "connection refused" is a reset before the first byte.
            Close(reset: true);
            return;
        }

        await Task.WhenAll(
            new StreamPump(this, client, _backend, upstream: true).RunAsync(),
            new StreamPump(this, _backend, client, upstream: false).RunAsync());
        // Both peers have closed their side (each FIN relayed): nothing is left to send.
        Close(reset: false);
    }

    /// <summary>
    /// Brings this connection's toxics in line with the relay's. A toxic this connection already
    /// has (an identical one) keeps its toxicity draw and its byte count; a new one is drawn now.
    /// </summary>
    public void Refresh()
    {
        lock (_lock)
        {
            var toxics = relay.Toxics;
            if (IsClosed || ReferenceEquals(toxics, _applied))
            {
                return;
            }

            _applied = toxics;
            if (toxics.Count == 0 && _states.Count == 0)
            {
                // The common case, a relay without toxics: nothing to draw, nothing to wake.
                return;
            }

            var states = new Dictionary<Toxic, ToxicState>(toxics.Count);
            foreach (var toxic in toxics)
            {
                if (!_states.Remove(toxic, out var state))
                {
                    // Kind is known: TcpRelay.Toxics refuses a toxic that does not validate.
                    state = new ToxicState(toxic, toxic.Kind!.Value, relay.Hits(toxic.Toxicity));
                    if (state is { Hit: true, Kind: ToxicKind.Timeout, Attributes.Timeout: > 0 })
                    {
                        _ = CloseAfterAsync(state);
                    }
                }

                states[toxic] = state;
            }

            foreach (var removed in _states.Values)
            {
                removed.Removed = true;
            }

            _states = states;
            _upstream = StreamToxics.From(states.Values, upstream: true);
            _downstream = StreamToxics.From(states.Values, upstream: false);
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>
    /// Ends the connection at both ends (once; later calls do nothing). Gracefully: FIN after the
    /// bytes already sent. With <paramref name="reset"/>: RST (linger 0, then close), unsent bytes dropped.
    /// </summary>
    public void Close(bool reset)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _closing.Cancel();
        End(client, reset);
        End(_backend, reset);
        lock (_lock)
        {
            _changed.TrySetResult();
        }
    }

    public void Dispose()
    {
        Close(reset: false);
        _closing.Dispose();
    }

    private static void End(Socket socket, bool reset)
    {
        try
        {
            if (reset)
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            else if (socket.Connected)
            {
                socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (SocketException)
        {
            // Already reset by the peer, or never connected: closing is all there is left to do.
        }

        socket.Dispose();
    }

    /// <summary>timeout: the clock starts when the toxic meets the connection, whether bytes flow or not (as Toxiproxy's).</summary>
    private async Task CloseAfterAsync(ToxicState state)
    {
        try
        {
            await PreciseDelay.ForAsync(TimeSpan.FromMilliseconds(state.Attributes.Timeout ?? 0), _closing.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (!state.Removed)
        {
            Close(reset: false);
        }
    }
}
