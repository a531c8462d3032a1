using RoundRobinLab.Backends.Faults;
using RoundRobinLab.Backends.Lean;
using RoundRobinLab.Backends.Mocked;
using RoundRobinLab.Backends.Profiles;
using WireMock.Server;

namespace RoundRobinLab.Backends.Fleet;

/// <summary>
/// One fake backend on a fixed loopback port. Going down stops its server, so connections are
/// refused as with a dead process; coming up starts a new one on the same port. Counts carry over.
/// With network faults on, a TCP relay on a port of its own stands in front of it (<see cref="ProxyUrl"/>)
/// and applies its toxics; the relay goes down and up with the backend.
/// </summary>
public sealed class FakeBackend : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _profileLock = new();
    private readonly int? _relayPort;
    private IBackendServer? _server;
    private TcpRelay? _relay;
    private long _receivedBefore;
    private volatile BackendProfile _profile;

    /// <param name="relayPort">The relay's port (0: a free one); null for no relay, no network faults.</param>
    internal FakeBackend(string id, int port, BackendMode mode, BackendProfile profile, int? relayPort = null)
    {
        Id = id;
        Port = port;
        Mode = mode;
        _relayPort = relayPort;
        RequireRelayFor(profile, $"profile of {id}");
        _profile = profile;
    }

    public string Id { get; }

    /// <summary>The port; fixed after the first start (a free one when the fleet was given port 0).</summary>
    public int Port { get; private set; }

    public BackendMode Mode { get; }

    /// <summary>Listen on every interface, not only loopback (a fleet in a container).</summary>
    internal bool ListenOnAllInterfaces { get; init; }

    /// <summary>The backend's own address: past the relay, so no network fault applies.</summary>
    public Uri Url => new($"http://127.0.0.1:{Port}");

    /// <summary>The relay's address when network faults are on (null otherwise).</summary>
    public Uri? RelayUrl => _relay?.Url;

    /// <summary>The address a proxy should use: the relay's when network faults are on, else <see cref="Url"/>.</summary>
    public Uri ProxyUrl => RelayUrl ?? Url;

    /// <summary>Whether a relay stands in front of this backend, so toxics can be set.</summary>
    public bool HasRelay => _relayPort is not null;

    public bool IsUp => _server is not null;

    /// <summary>Read on every request, so a change applies to the next one; its toxics reach the relay's open connections at once.</summary>
    public BackendProfile Profile
    {
        get => _profile;
        set
        {
            ProfileValidation.Validate(value, $"profile of {Id}");
            RequireRelayFor(value, $"profile of {Id}");
            lock (_profileLock)
            {
                Apply(value);
            }
        }
    }

    /// <summary>The relay's toxics, in the order they were added (the profile's <c>toxics</c>).</summary>
    public IReadOnlyList<Toxic> Toxics => _profile.Toxics ?? [];

    /// <summary>Adds <paramref name="toxic"/>, or replaces the toxic of the same name in its place.</summary>
    public void SetToxic(Toxic toxic)
    {
        ToxicValidation.Validate(toxic, "toxic");
        ChangeToxics(toxics =>
        {
            var index = toxics.FindIndex(t => t.Name == toxic.Name);
            if (index >= 0)
            {
                toxics[index] = toxic;
            }
            else
            {
                toxics.Add(toxic);
            }
        });
    }

    /// <summary>Removes the toxic named <paramref name="name"/>; false when there is none.</summary>
    public bool RemoveToxic(string name)
    {
        var removed = false;
        ChangeToxics(toxics => removed = toxics.RemoveAll(t => t.Name == name) > 0);
        return removed;
    }

    public void ClearToxics() => ChangeToxics(toxics => toxics.Clear());

    private void ChangeToxics(Action<List<Toxic>> change)
    {
        if (!HasRelay)
        {
            throw new InvalidOperationException(NoRelay(Id));
        }

        lock (_profileLock)
        {
            var toxics = Toxics.ToList();
            change(toxics);
            Apply(_profile with { Toxics = toxics.Count == 0 ? null : toxics });
        }
    }

    // Under _profileLock: the relay gets the toxics in the order the profile got them.
    private void Apply(BackendProfile profile)
    {
        _profile = profile;
        _relay?.Toxics = profile.Toxics ?? [];
    }

    private void RequireRelayFor(BackendProfile profile, string where)
    {
        if (profile.Toxics is { Count: > 0 } && !HasRelay)
        {
            throw new ArgumentException($"{where}.toxics: {NoRelay(Id)}");
        }
    }

    private static string NoRelay(string id) =>
        $"{id} has no relay for network faults; start the fleet with them (lab backends --faults, FleetOptions.NetworkFaults, LabSetup.NetworkFaults).";

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

            if (_relayPort is { } relayPort)
            {
                lock (_profileLock)
                {
                    _relay ??= new TcpRelay(Port, relayPort) { Toxics = _profile.Toxics ?? [] };
                }

                // After the backend: the relay never accepts what it could not pass on.
                _relay.Listen();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the backend: its port, and its relay's, refuse connections until <see cref="UpAsync"/>.</summary>
    public async Task DownAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_server is null)
            {
                return;
            }

            // Before the backend: a connection that reaches the relay now is refused there, as a
            // dead backend's would be. Those already open see the backend close them, relayed.
            if (_relay is not null)
            {
                await _relay.StopListeningAsync();
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
        if (_relay is not null)
        {
            await _relay.DisposeAsync();
        }

        _gate.Dispose();
    }
}
