using Microsoft.Extensions.Logging;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Configuration;

namespace RoundRobinLab.Proxy.Hosting;

/// <summary>
/// nginx's reload without its restart of workers: on SIGHUP (ProxyHost's one handler calls
/// <see cref="Reload"/>), or when appsettings.json beside the binary changes, the settings are read again (command line, environment and file, with the same
/// precedence as at start) and the backend list and weights replace the running set through
/// <see cref="BackendPool.Replace"/>, so nothing in flight is lost. A file that does not load is
/// logged with its reason and ignored: the running set stays. Only the backends change this way;
/// every other setting needs a restart.
/// </summary>
internal sealed partial class BackendReloader : IDisposable
{
    private readonly Func<ProxySettings> _load;
    private readonly BackendPool _pool;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private FileWatch? _watch;

    public BackendReloader(Func<ProxySettings> load, BackendPool pool, ILogger<BackendReloader> logger)
    {
        _load = load;
        _pool = pool;
        _logger = logger;
    }

    /// <summary>Watches <paramref name="file"/> (when given) for changes.</summary>
    public void Start(string? file)
    {
        if (file is not null)
        {
            _watch = new FileWatch([file], () => Reload("a change of appsettings.json"));
        }
    }

    /// <summary>Reads the settings again and applies the backends; returns false when they did not load.</summary>
    public bool Reload(string why)
    {
        lock (_lock)
        {
            ProxySettings settings;
            try
            {
                settings = _load();
            }
            catch (Exception e) when (e is SettingsException or IOException)
            {
                ReloadRefused(_logger, why, e.Message, _pool.All.Count);
                return false;
            }

            var backends = settings.Backends.Select((address, i) => (address, settings.Weights.Count == 0 ? 1 : settings.Weights[i])).ToList();
            if (backends.SequenceEqual(_pool.All.Select(b => (b.Address, b.Weight))))
            {
                return true;
            }

            _pool.Replace(backends);
            Reloaded(_logger, why, _pool.Describe(), _pool.HealthyCount, _pool.All.Count);
            return true;
        }
    }

    public void Dispose()
    {
        _watch?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backends reloaded on {Why}: {Backends} ({Healthy}/{Total} in rotation)")]
    private static partial void Reloaded(ILogger logger, string why, string backends, int healthy, int total);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reload on {Why} ignored, the running {Count} backends kept: {Reason}")]
    private static partial void ReloadRefused(ILogger logger, string why, string reason, int count);
}
