using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Proxy.Admin;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Configuration;
using RoundRobinLab.Proxy.Forwarding;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Hosting;

/// <summary>
/// The running proxy: one Kestrel host for proxied traffic and one for the admin endpoints.
/// Two hosts rather than two listeners on one, so that no request on the proxied port can ever
/// be routed to an admin endpoint, whatever its Host header or path says.
/// </summary>
internal sealed partial class ProxyHost : IAsyncDisposable
{
    /// <summary>File descriptors kept for backend connections, listeners and logs beyond --max-connections.</summary>
    private const int ReservedDescriptors = 1024;

    private readonly WebApplication _proxy;
    private readonly WebApplication _admin;
    private readonly UpstreamConnector _connector;
    private readonly ProxySettings _settings;
    private readonly ILogger _logger;

    private ProxyHost(ProxySettings settings, Action<ILoggingBuilder>? configureLogging, TimeProvider time)
    {
        _settings = settings;
        _proxy = CreateApp(settings.Urls, settings, configureLogging, proxied: true);
        _admin = CreateApp(settings.AdminUrls, settings, configureLogging, proxied: false);
        var loggers = _proxy.Services.GetRequiredService<ILoggerFactory>();
        _logger = loggers.CreateLogger("RoundRobinLab.Proxy");
        Pool = new BackendPool(settings.Backends, settings.EjectDuration, time, loggers.CreateLogger<BackendPool>(), settings.MaxFails);
        _connector = new UpstreamConnector(Pool.All, settings.ConnectTimeout);
        var forwarder = new Forwarder(Pool, _connector, new ForwarderOptions
        {
            Timeouts = new UpstreamTimeouts(settings.ResponseTimeout, settings.IdleTimeout),
            Forwarded = new ForwardedHeaders(settings.TrustedProxies),
        }, loggers.CreateLogger<Forwarder>());
        _proxy.Run(forwarder.ForwardAsync);
        _admin.MapAdmin(Pool);
    }

    public BackendPool Pool { get; }

    /// <summary>Where proxied traffic is accepted, with real ports once started.</summary>
    public IReadOnlyList<string> ProxyUrls => [.. _proxy.Urls];

    public IReadOnlyList<string> AdminUrls => [.. _admin.Urls];

    public static ProxyHost Create(ProxySettings settings, Action<ILoggingBuilder>? configureLogging = null, TimeProvider? time = null) =>
        new(settings, configureLogging, time ?? TimeProvider.System);

    /// <summary>Binds both listeners; throws IOException when an address cannot be bound.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var descriptors = FileDescriptorLimit.Raise();
        // Client connections must leave room for backend connections (one per request in flight).
        if (descriptors < _settings.MaxConnections + ReservedDescriptors)
        {
            DescriptorsShort(_logger, _settings.MaxConnections, ReservedDescriptors, descriptors.Value);
        }

        await _admin.StartAsync(cancellationToken);
        await _proxy.StartAsync(cancellationToken);
        var urls = string.Join(", ", ProxyUrls);
        var adminUrls = string.Join(", ", AdminUrls);
        var backends = string.Join(", ", Pool.All);
        Started(_logger, urls, adminUrls, Pool.All.Count, backends, _settings.ConnectTimeout.TotalSeconds, _settings.ResponseTimeout.TotalSeconds,
            _settings.IdleTimeout.TotalSeconds, _settings.MaxFails, _settings.EjectDuration.TotalSeconds);
    }

    /// <summary>Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish (bounded by the shutdown timeout).</summary>
    public async Task RunAsync()
    {
        await StartAsync();
        await _proxy.WaitForShutdownAsync();
        await _admin.StopAsync();
    }

    public async Task StopAsync()
    {
        await _proxy.StopAsync();
        await _admin.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _admin.DisposeAsync();
        _connector.Dispose();
        Pool.Dispose();
    }

    private static WebApplication CreateApp(IReadOnlyList<ListenAddress> urls, ProxySettings settings, Action<ILoggingBuilder>? configureLogging, bool proxied)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // appsettings.json beside the binary, wherever it is started from; flags are ours to parse.
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });

        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.UseUtcTimestamp = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // Hosting opens a logging scope per request (formatting its trace identifier) whenever
        // any level is on for this category; nothing it logs at Warning or above matters here.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        configureLogging?.Invoke(builder.Logging);

        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = settings.ShutdownTimeout);
        if (proxied)
        {
            // Kestrel's side of running inline (Program.cs sets the sockets' side): request
            // processing continues on the I/O thread that read the request instead of being
            // queued to the thread pool. Safe because forwarding never blocks a thread; it cut
            // CPU per request by 10-15% (experiment in the closing note of issue 10).
            builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The backend's Server header passes through; Kestrel's own would be a second one.
            kestrel.AddServerHeader = false;
            // Bodies are streamed, never buffered, so there is no reason to cap their size here.
            kestrel.Limits.MaxRequestBodySize = null;
            if (proxied)
            {
                ConfigureClientLimits(kestrel, settings);
            }

            foreach (var url in urls)
            {
                Listen(kestrel, url);
            }
        });

        return builder.Build();
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

    private static void Listen(KestrelServerOptions kestrel, ListenAddress url)
    {
        if (url.Host == "0.0.0.0")
        {
            kestrel.Listen(IPAddress.Any, url.Port);
        }
        else if (url.IsAnyHost)
        {
            kestrel.ListenAnyIP(url.Port);
        }
        else if (url.IsLocalhost)
        {
            // Kestrel cannot pick a free port for "localhost" (two addresses); loopback v4 can.
            if (url.Port == 0)
            {
                kestrel.Listen(IPAddress.Loopback, 0);
            }
            else
            {
                kestrel.ListenLocalhost(url.Port);
            }
        }
        else
        {
            kestrel.Listen(url.Address!, url.Port);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "--max-connections {MaxConnections} leaves fewer than {Reserved} of the {Limit} file descriptors for backend connections: lower --max-connections or raise the hard limit (ulimit -Hn)")]
    private static partial void DescriptorsShort(ILogger logger, int maxConnections, int reserved, long limit);

    [LoggerMessage(Level = LogLevel.Information, Message = "rrproxy listening on {Urls} (admin {AdminUrls}); round robin over {Count} backends: {Backends}; connect timeout {ConnectSeconds}s, response timeout {ResponseSeconds}s, idle timeout {IdleSeconds}s; ejection after {MaxFails} failures in a row for {EjectSeconds}s")]
    private static partial void Started(ILogger logger, string urls, string adminUrls, int count, string backends, double connectSeconds, double responseSeconds, double idleSeconds, int maxFails, double ejectSeconds);
}
