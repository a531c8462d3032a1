using RoundRobinLab.Backends.Lean;
using RoundRobinLab.Backends.Mocked;
using RoundRobinLab.Backends.Profiles;
using WireMock.Server;

namespace RoundRobinLab.Backends.Fleet;

/// <summary>
/// One fake backend on a fixed loopback port. Going down stops its server, so connections are
/// refused as with a dead process; coming up starts a new one on the same port. Counts carry over.
/// </summary>
public sealed class FakeBackend : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IBackendServer? _server;
    private long _receivedBefore;
    private volatile BackendProfile _profile;

    internal FakeBackend(string id, int port, BackendMode mode, BackendProfile profile)
    {
        Id = id;
        Port = port;
        Mode = mode;
        _profile = profile;
    }

    public string Id { get; }

    /// <summary>The port; fixed after the first start (a free one when the fleet was given port 0).</summary>
    public int Port { get; private set; }

    public BackendMode Mode { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public bool IsUp => _server is not null;

    /// <summary>Read on every request, so a change applies to the next one.</summary>
    public BackendProfile Profile
    {
        get => _profile;
        set
        {
            ProfileValidation.Validate(value, $"profile of {Id}");
            _profile = value;
        }
    }

    /// <summary>The WireMock server of the current incarnation (null in lean mode or while down).</summary>
    public WireMockServer? WireMock => (_server as WireMockBackendServer)?.Server;

    /// <summary>Requests received over every incarnation, as the backend itself recorded them (WebSocket sessions included).</summary>
    public long Received => _receivedBefore + (_server?.Received ?? 0) + Interlocked.Read(ref _webSocketSessions);

    private long _webSocketSessions;

    /// <summary>WebSocket sessions accepted on /ws (each one request: its handshake).</summary>
    public long WebSocketSessions => Interlocked.Read(ref _webSocketSessions);

    internal void OnWebSocketSession() => Interlocked.Increment(ref _webSocketSessions);

    /// <summary>Starts the backend (no-op when it is up).</summary>
    public async Task UpAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_server is not null)
            {
                return;
            }

            _server = Mode == BackendMode.Lean
                ? await LeanBackendServer.StartAsync(this)
                : WireMockBackendServer.Start(this);
            if (Port == 0)
            {
                Port = _server.Port;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the backend: its port refuses connections until <see cref="UpAsync"/>.</summary>
    public async Task DownAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_server is null)
            {
                return;
            }

            // Count after stopping: a request answered while the server stops is logged late.
            await _server.DisposeAsync();
            _receivedBefore += _server.Received;
            _server = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DownAsync();
        _gate.Dispose();
    }
}
