using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace RoundRobinLab.Backends.Faults;

/// <summary>
/// A TCP relay in front of one backend, on loopback at both ends: the proxy connects here, the
/// relay connects to the backend's port on 127.0.0.1 and copies bytes both ways through the
/// toxics it has at that moment. Network faults WireMock cannot make (a reset mid-stream, a
/// bandwidth cap, a cut after N bytes) happen here, below HTTP.
/// <list type="bullet">
/// <item>Changing <see cref="Toxics"/> reaches open connections as well as new ones (RelayConnection.Refresh).</item>
/// <item>Toxicity is drawn per connection and toxic, in accept order, from one random source, so a seeded one repeats a run.</item>
/// <item><see cref="StopListeningAsync"/> closes the port: new connections are refused, open ones carry on.</item>
/// </list>
/// </summary>
internal sealed class TcpRelay : IAsyncDisposable
{
    private readonly int _backendPort;
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private readonly Lock _listenLock = new();
    private readonly ConcurrentDictionary<RelayConnection, Task> _connections = new();
    private volatile IReadOnlyList<Toxic> _toxics = [];
    private Socket? _listener;
    private Task _accepting = Task.CompletedTask;
    private bool _disposed;

    /// <param name="backendPort">The backend's port on 127.0.0.1: the only address the relay connects to.</param>
    /// <param name="port">The relay's port on 127.0.0.1; 0 for a free one, kept from then on.</param>
    /// <param name="random">Where toxicity, jitter and slice sizes are drawn from; seed one for a repeatable run.</param>
    public TcpRelay(int backendPort, int port = 0, Random? random = null)
    {
        _backendPort = backendPort;
        Port = port;
        _random = random ?? Random.Shared;
    }

    public int Port { get; private set; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public bool IsListening => Volatile.Read(ref _listener) is not null;

    /// <summary>Connections open now (accepted, not yet ended).</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>
    /// The toxics in force. Setting them refreshes every open connection before returning, so the
    /// next chunk each pump relays sees them; invalid ones are refused (ArgumentException) first.
    /// </summary>
    public IReadOnlyList<Toxic> Toxics
    {
        get => _toxics;
        set
        {
            ToxicValidation.Validate(value, "toxics");
            _toxics = value;
            foreach (var connection in _connections.Keys)
            {
                connection.Refresh();
            }
        }
    }

    /// <summary>Listens (no-op when listening), on the same port as before after a stop.</summary>
    public void Listen()
    {
        lock (_listenLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_listener is not null)
            {
                return;
            }

            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                // Back on the same port after a stop while connections accepted there sit in TIME_WAIT.
                listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                listener.Bind(new IPEndPoint(IPAddress.Loopback, Port));
                listener.Listen(512);
            }
            catch (SocketException e)
            {
                listener.Dispose();
                throw new IOException($"The relay cannot listen on 127.0.0.1:{Port}: {e.Message}.", e);
            }

            Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            _listener = listener;
            _accepting = AcceptAsync(listener);
        }
    }

    /// <summary>
    /// Closes the port, so connecting is refused as with a dead process (the kernel resets
    /// connections still in the backlog). Open connections carry on until their peers end them.
    /// </summary>
    public async Task StopListeningAsync()
    {
        Task accepting;
        lock (_listenLock)
        {
            if (_listener is null)
            {
                return;
            }

            _listener.Dispose();
            _listener = null;
            accepting = _accepting;
        }

        await accepting;
    }

    internal bool Hits(double toxicity) => toxicity >= 1 || (toxicity > 0 && NextDouble() < toxicity);

    internal double NextDouble()
    {
        lock (_randomLock)
        {
            return _random.NextDouble();
        }
    }

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    internal long NextInt64(long min, long max)
    {
        lock (_randomLock)
        {
            return _random.NextInt64(min, max);
        }
    }

    private async Task AcceptAsync(Socket listener)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (Volatile.Read(ref _listener) != listener)
                {
                    return;
                }

                // Out of descriptors, say: that client gets no answer. A pause, so that a lasting
                // failure does not spin a core; the next accept may succeed.
                await Task.Delay(10);
                continue;
            }

            client.NoDelay = true;
            var connection = new RelayConnection(this, client);
            _connections[connection] = Task.CompletedTask;
            // Drawn here, before the next accept, so that draws follow the order of connections.
            connection.Refresh();
            // Only while still open: a connection that already ended has left the set for good.
            _connections.TryUpdate(connection, RunAsync(connection), Task.CompletedTask);
        }
    }

    private async Task RunAsync(RelayConnection connection)
    {
        // Off the accept loop: connecting to the backend must not hold up the next accept.
        await Task.Yield();
        try
        {
            await connection.RunAsync(_backendPort);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            connection.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_listenLock)
        {
            _disposed = true;
        }

        await StopListeningAsync();
        foreach (var (connection, _) in _connections)
        {
            connection.Close(reset: false);
        }

        await Task.WhenAll(_connections.Values);
    }
}
