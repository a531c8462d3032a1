using System.Net;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RoundRobinLab.Proxy.Admin;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Configuration;
using RoundRobinLab.Proxy.Forwarding;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Hosting;

/// <summary>
/// The running proxy: one Kestrel server for proxied traffic and one for the admin endpoints.
/// Two servers rather than two listeners on one, so that no request on the proxied port can ever
/// be routed to an admin endpoint, whatever its Host header or path says.
/// Kestrel runs without the generic host: the host's configuration, service container, lifetime
/// and routing took half of the time from launch to the first proxied response and 3 MB of the
/// binary (issue 10), and the proxy needs none of them. What the host did that matters is done
/// here: console logging, SIGTERM/SIGINT handling, and a bounded graceful stop.
/// </summary>
internal sealed partial class ProxyHost : IAsyncDisposable
{
    /// <summary>File descriptors kept for backend connections, listeners and logs beyond --max-connections.</summary>
    private const int ReservedDescriptors = 1024;

    private readonly ILoggerFactory _loggers;
    private readonly SocketTransports _transports;
    private readonly KestrelServer _proxy;
    private readonly KestrelServer _admin;
    private readonly ProxyApplication _proxyApplication;
    private readonly AdminEndpoints _adminApplication;
    private readonly UpstreamConnector _connector;
    private readonly Health.HealthChecker? _healthChecker;
    private readonly BackendReloader? _reloader;
    private readonly string? _watchFile;
    // The https:// listeners' certificate, swapped whole on SIGHUP; read per TLS handshake.
    private volatile X509Certificate2? _certificate;
    // SIGHUP: one handler for everything that reloads (backends, certificate).
    private PosixSignalRegistration? _hangUp;
    private FileWatch? _certificateWatch;
    private readonly ProxySettings _settings;
    private readonly ILogger _logger;

    private ProxyHost(ProxySettings settings, Action<ILoggingBuilder>? configureLogging, TimeProvider time, Func<ProxySettings>? reload, string? watchFile)
    {
        _watchFile = watchFile;
        _settings = settings;
        _loggers = CreateLoggers(configureLogging);
        _logger = _loggers.CreateLogger("RoundRobinLab.Proxy");
        _transports = new SocketTransports(_loggers);
        _certificate = settings.Tls?.Load();
        _proxy = CreateServer(settings.Urls, settings, _transports, _loggers, proxied: true, () => _certificate);
        _admin = CreateServer(settings.AdminUrls, settings, _transports, _loggers, proxied: false, () => null);
        Pool = new BackendPool(settings.Backends, settings.EjectDuration, time, _loggers.CreateLogger<BackendPool>(), settings.MaxFails,
            settings.Weights.Count == 0 ? null : settings.Weights, settings.SlowStart);
        _connector = new UpstreamConnector(() => Pool.All, settings.ConnectTimeout);
        var forwarder = new Forwarder(Pool, _connector, new ForwarderOptions
        {
            Timeouts = new UpstreamTimeouts(settings.ResponseTimeout, settings.IdleTimeout),
            Forwarded = new ForwardedHeaders(settings.TrustedProxies),
        }, _loggers.CreateLogger<Forwarder>());
        _proxyApplication = new ProxyApplication(forwarder.ForwardAsync);
        if (reload is not null)
        {
            _reloader = new BackendReloader(reload, Pool, _loggers.CreateLogger<BackendReloader>());
        }

        if (settings.HealthChecks is { } checks)
        {
            _healthChecker = new Health.HealthChecker(Pool, _connector, checks, _loggers.CreateLogger<Health.HealthChecker>());
        }

        var exposed = settings.AdminUrls.Any(url => url.IsAnyHost || (url.Address is { } ip && !IPAddress.IsLoopback(ip)));
        _adminApplication = new AdminEndpoints(Pool, new AdminAccess(settings.AdminToken, exposed), _loggers.CreateLogger<AdminEndpoints>());
    }

    public BackendPool Pool { get; }

    /// <summary>Where proxied traffic is accepted, with real ports once started.</summary>
    public IReadOnlyList<string> ProxyUrls => Addresses(_proxy);

    public IReadOnlyList<string> AdminUrls => Addresses(_admin);

    /// <param name="reload">Reads the settings again, for SIGHUP and changes of <paramref name="watchFile"/>; null: no reloads.</param>
    /// <param name="watchFile">The appsettings.json whose changes reload the backends.</param>
    public static ProxyHost Create(ProxySettings settings, Action<ILoggingBuilder>? configureLogging = null, TimeProvider? time = null,
        Func<ProxySettings>? reload = null, string? watchFile = null) =>
        new(settings, configureLogging, time ?? TimeProvider.System, reload, watchFile);

    /// <summary>
    /// Reads the certificate and key again (SIGHUP does this): a renewed certificate serves the
    /// next handshakes; a pair that does not load is logged and the running one kept.
    /// </summary>
    public bool ReloadCertificate()
    {
        if (_settings.Tls is not { } files)
        {
            return false;
        }

        try
        {
            var renewed = files.Load();
            _certificate = renewed;
            CertificateReloaded(_logger, files.CertificatePath, renewed.Subject, renewed.NotAfter);
            return true;
        }
        catch (SettingsException e)
        {
            CertificateRefused(_logger, e.Message);
            return false;
        }
    }

    /// <summary>What SIGHUP does: the backends read again from the settings (false when they did not load).</summary>
    public bool ReloadBackends() => _reloader?.Reload("request") ?? false;

    /// <summary>Binds both listeners; throws IOException when an address cannot be bound.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var descriptors = FileDescriptorLimit.Raise();
        // Client connections must leave room for backend connections (one per request in flight).
        if (descriptors < _settings.MaxConnections + ReservedDescriptors)
        {
            DescriptorsShort(_logger, _settings.MaxConnections, ReservedDescriptors, descriptors.Value);
        }

        // The proxied listeners first: an answer from the admin /healthz then means the proxy
        // serves, and the lab's harness takes it as the readiness signal.
        await _proxy.StartAsync(_proxyApplication, cancellationToken);
        await _admin.StartAsync(_adminApplication, cancellationToken);
        _healthChecker?.Start();
        _reloader?.Start(_watchFile);
        if (_reloader is not null || _settings.Tls is not null)
        {
            _hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                _reloader?.Reload("SIGHUP");
                ReloadCertificate();
            });
        }

        if (_settings.Tls is not null)
        {
            // A renewal (certbot, cert-manager) writes new files: read them once they settle.
            _certificateWatch = new FileWatch([_settings.Tls.CertificatePath, _settings.Tls.KeyPath], () => ReloadCertificate());
        }
        var urls = string.Join(", ", ProxyUrls);
        var adminUrls = string.Join(", ", AdminUrls);
        var backends = Pool.Describe();
        Started(_logger, urls, adminUrls, Pool.All.Count, backends, _settings.ConnectTimeout.TotalSeconds, _settings.ResponseTimeout.TotalSeconds,
            _settings.IdleTimeout.TotalSeconds, _settings.MaxFails, _settings.EjectDuration.TotalSeconds);
    }

    /// <summary>Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish (bounded by the shutdown timeout).</summary>
    public async Task RunAsync()
    {
        using var signal = new ShutdownSignal();
        await StartAsync();
        await signal.Received;
        await StopAsync();
    }

    /// <summary>
    /// Stops accepting, lets requests in flight finish for up to --shutdown-timeout, then closes
    /// whatever is left (Kestrel aborts the remaining connections when the token fires).
    /// </summary>
    public async Task StopAsync()
    {
        using (var deadline = new CancellationTokenSource(_settings.ShutdownTimeout))
        {
            await _proxy.StopAsync(deadline.Token);
        }

        using (var deadline = new CancellationTokenSource(_settings.ShutdownTimeout))
        {
            await _admin.StopAsync(deadline.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_healthChecker is not null)
        {
            await _healthChecker.DisposeAsync();
        }

        _reloader?.Dispose();
        _hangUp?.Dispose();
        _certificateWatch?.Dispose();
        _proxy.Dispose();
        _admin.Dispose();
        _connector.Dispose();
        Pool.Dispose();
        _transports.Dispose();
        // Last: the console logger writes on its own thread and flushes what is queued here.
        _loggers.Dispose();
    }

    private static string[] Addresses(KestrelServer server) => [.. server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []];

    private static ILoggerFactory CreateLoggers(Action<ILoggingBuilder>? configureLogging) => LoggerFactory.Create(logging =>
    {
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        logging.AddFilter("Microsoft", LogLevel.Warning);
        configureLogging?.Invoke(logging);
    });

    private static KestrelServer CreateServer(IReadOnlyList<ListenAddress> urls, ProxySettings settings, SocketTransports transports, ILoggerFactory loggers, bool proxied,
        Func<X509Certificate2?> certificate)
    {
        var kestrel = new KestrelServerOptions
        {
            // The backend's Server header passes through; Kestrel's own would be a second one.
            AddServerHeader = false,
            ApplicationServices = transports.Services,
        };

        // Proxied bodies are streamed, never buffered, so there is no reason to cap their size;
        // the admin listener reads small JSON bodies whole.
        kestrel.Limits.MaxRequestBodySize = proxied ? null : 1024 * 1024;
        if (proxied)
        {
            ConfigureClientLimits(kestrel, settings);
        }

        foreach (var url in urls)
        {
            Listen(kestrel, url, listen =>
            {
                if (url.Https)
                {
                    // HTTP/2 and HTTP/1.1 by ALPN; TLS 1.2 and 1.3 only.
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificateSelector = (_, _) => certificate(),
                        SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    });
                }
            });
        }

        // Kestrel's side of running inline (Program.cs sets the sockets' side): request
        // processing continues on the I/O thread that read the request instead of being queued
        // to the thread pool. Safe because forwarding never blocks a thread; it cut CPU per
        // request by 10-15% (experiment in the closing note of issue 10).
        return new KestrelServer(Options.Create(kestrel), transports.Create(inline: proxied), loggers);
    }
    /// <summary>
    /// What clients may do to the proxied listener, stated rather than left to Kestrel's
    /// defaults (which are the same numbers, except the connection cap, which Kestrel lacks).
    /// </summary>
    private static void ConfigureClientLimits(KestrelServerOptions kestrel, ProxySettings settings)
    {
        // Header bytes pass byte for byte: obs-text (0x80-0xFF, RFC 9110 §5.5) is legal in a
        // field value, and Latin-1 maps each byte to one char and back, both ways. UTF-8 (the
        // default for requests) or ASCII (for responses) would turn such bytes into errors.
        kestrel.RequestHeaderEncodingSelector = static _ => Encoding.Latin1;
        kestrel.ResponseHeaderEncodingSelector = static _ => Encoding.Latin1;

        var limits = kestrel.Limits;
        // Beyond this many connections Kestrel closes new ones at once, so descriptors are left
        // for backend connections (exhausting them would fail every request, not just new ones).
        limits.MaxConcurrentConnections = settings.MaxConnections;
        // Slowloris: a request head must arrive whole within this time.
        limits.RequestHeadersTimeout = settings.ClientHeaderTimeout;
        limits.KeepAliveTimeout = settings.ClientKeepAliveTimeout;
        // A client that trickles its body or reads the response slower than this is cut,
        // after a grace period; the idle timeout towards the backend does not count that wait.
        var rate = settings.ClientMinBytesPerSecond;
        limits.MinRequestBodyDataRate = rate == 0 ? null : new MinDataRate(rate, TimeSpan.FromSeconds(5));
        limits.MinResponseDataRate = rate == 0 ? null : new MinDataRate(rate, TimeSpan.FromSeconds(5));
    }

    private static void Listen(KestrelServerOptions kestrel, ListenAddress url, Action<ListenOptions> configure)
    {
        if (url.Host == "0.0.0.0")
        {
            kestrel.Listen(IPAddress.Any, url.Port, configure);
        }
        else if (url.IsAnyHost)
        {
            kestrel.ListenAnyIP(url.Port, configure);
        }
        else if (url.IsLocalhost)
        {
            // Kestrel cannot pick a free port for "localhost" (two addresses); loopback v4 can.
            if (url.Port == 0)
            {
                kestrel.Listen(IPAddress.Loopback, 0, configure);
            }
            else
            {
                kestrel.ListenLocalhost(url.Port, configure);
            }
        }
        else
        {
            kestrel.Listen(url.Address!, url.Port, configure);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "TLS certificate reloaded from {Path}: {Subject}, valid until {NotAfter:u}")]
    private static partial void CertificateReloaded(ILogger logger, string path, string subject, DateTime notAfter);

    [LoggerMessage(Level = LogLevel.Error, Message = "TLS certificate reload ignored, the running certificate kept: {Reason}")]
    private static partial void CertificateRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "--max-connections {MaxConnections} leaves fewer than {Reserved} of the {Limit} file descriptors for backend connections: lower --max-connections or raise the hard limit (ulimit -Hn)")]
    private static partial void DescriptorsShort(ILogger logger, int maxConnections, int reserved, long limit);

    [LoggerMessage(Level = LogLevel.Information, Message = "rrproxy listening on {Urls} (admin {AdminUrls}); round robin over {Count} backends: {Backends}; connect timeout {ConnectSeconds}s, response timeout {ResponseSeconds}s, idle timeout {IdleSeconds}s; ejection after {MaxFails} failures in a row for {EjectSeconds}s")]
    private static partial void Started(ILogger logger, string urls, string adminUrls, int count, string backends, double connectSeconds, double responseSeconds, double idleSeconds, int maxFails, double ejectSeconds);
}
