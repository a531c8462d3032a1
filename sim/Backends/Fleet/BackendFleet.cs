namespace RoundRobinLab.Backends.Fleet;

/// <summary>
/// N fake backends on loopback, named b1..bN, each identifying itself in an X-Backend-Id header
/// and counting what it receives. Used in-process by tests and scenarios, and by the CLI.
/// </summary>
public sealed class BackendFleet : IAsyncDisposable
{
    private readonly FakeBackend[] _backends;

    private BackendFleet(FakeBackend[] backends) => _backends = backends;

    public IReadOnlyList<FakeBackend> Backends => _backends;

    /// <summary>The backends' own addresses, past any relay.</summary>
    public IEnumerable<Uri> Urls => _backends.Select(b => b.Url);

    /// <summary>The addresses a proxy should use: the relays' with network faults on, else <see cref="Urls"/>.</summary>
    public IEnumerable<Uri> ProxyUrls => _backends.Select(b => b.ProxyUrl);

    public FakeBackend this[string id] =>
        Array.Find(_backends, b => b.Id == id) ?? throw new ArgumentException($"no backend '{id}'; the fleet has {string.Join(", ", _backends.Select(b => b.Id))}.");

    public static async Task<BackendFleet> StartAsync(FleetOptions options)
    {
        if (options.Count is < 1 or > 64)
        {
            throw new ArgumentException($"--count: {options.Count} is not between 1 and 64.");
        }

        if (options.BasePort != 0 && (options.BasePort < 1024 || options.BasePort + options.Count - 1 > 65535))
        {
            throw new ArgumentException($"--base-port: {options.BasePort} leaves no room for {options.Count} ports between 1024 and 65535.");
        }

        if (options.NetworkFaults && options.BasePort != 0 && options.BasePort + FleetOptions.RelayPortOffset + options.Count - 1 > 65535)
        {
            throw new ArgumentException($"--base-port: {options.BasePort} leaves no room for {options.Count} relay ports {FleetOptions.RelayPortOffset} above it (at most 65535).");
        }

        var backends = new FakeBackend[options.Count];
        for (var i = 0; i < backends.Length; i++)
        {
            var id = $"b{i + 1}";
            int? relayPort = !options.NetworkFaults ? null : options.BasePort == 0 ? 0 : options.BasePort + FleetOptions.RelayPortOffset + i;
            backends[i] = new FakeBackend(id, options.BasePort == 0 ? 0 : options.BasePort + i, options.Mode, options.Profiles.For(id), relayPort) { ListenOnAllInterfaces = options.ListenOnAllInterfaces };
        }

        var fleet = new BackendFleet(backends);
        try
        {
            foreach (var backend in backends)
            {
                // Even a backend that starts down is started once, so that it owns a port.
                await backend.UpAsync();
                if (backend.Profile.Down)
                {
                    await backend.DownAsync();
                }
            }
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }

        return fleet;
    }

    /// <summary>Requests each backend received, by id, as the backends recorded them.</summary>
    public Dictionary<string, long> ReceivedCounts() => _backends.ToDictionary(b => b.Id, b => b.Received);

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _backends)
        {
            await backend.DisposeAsync();
        }
    }
}
