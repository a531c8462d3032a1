using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace RoundRobinLab.Proxy.Configuration;

/// <summary>Everything the proxy needs to start, validated. Built once, read-only afterwards.</summary>
internal sealed record ProxySettings
{
    public required IReadOnlyList<Uri> Backends { get; init; }

    /// <summary>One weight (1-100) per backend, in the same order; empty: every weight is 1.</summary>
    public IReadOnlyList<int> Weights { get; init; } = [];

    public IReadOnlyList<ListenAddress> Urls { get; init; } = [new("0.0.0.0", 8080)];

    public IReadOnlyList<ListenAddress> AdminUrls { get; init; } = [new("127.0.0.1", 9901)];

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(100);

    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public int MaxFails { get; init; } = 3;

    public TimeSpan EjectDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Peers whose forwarding headers are believed; empty: nobody's are.</summary>
    public IReadOnlyList<IPNetwork> TrustedProxies { get; init; } = [];

    public int MaxConnections { get; init; } = 10_000;

    public TimeSpan ClientHeaderTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan ClientKeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(130);

    /// <summary>Kestrel's minimum request and response body rates; 0 turns both checks off.</summary>
    public int ClientMinBytesPerSecond { get; init; } = 240;

    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a backend that joins or comes back takes to climb to its full weight; zero: at once.</summary>
    public TimeSpan SlowStart { get; init; } = TimeSpan.Zero;

    /// <summary>The certificate and key (PEM files) for https:// listeners; null without them.</summary>
    public Hosting.TlsFiles? Tls { get; init; }

    /// <summary>Active health checks; null: off (--health-path not set).</summary>
    public Health.HealthCheckOptions? HealthChecks { get; init; }

    /// <summary>The bearer token that changes to the backends through the admin API need; null: none is set.</summary>
    public string? AdminToken { get; init; }

    /// <summary>
    /// Reads the settings from the command line, the environment and appsettings.json beside the
    /// binary, in that order of precedence. Throws <see cref="SettingsException"/> on the first
    /// setting that is wrong.
    /// </summary>
    public static ProxySettings Load(IReadOnlyList<string> args, string? appSettingsDirectory = null)
    {
        var overrides = CommandLine.Parse(args);
        var configuration = new ConfigurationManager();
        var appSettings = Path.Combine(appSettingsDirectory ?? AppContext.BaseDirectory, "appsettings.json");
        try
        {
            configuration.AddJsonFile(appSettings, optional: true, reloadOnChange: false);
        }
        catch (InvalidDataException e)
        {
            throw new SettingsException($"{appSettings} is not valid JSON ({e.InnerException?.Message ?? e.Message}); fix or remove it.");
        }

        configuration.AddEnvironmentVariables();
        configuration.AddInMemoryCollection(overrides);
        return FromConfiguration(configuration.GetSection("Proxy"));
    }

    public static ProxySettings FromConfiguration(IConfigurationSection proxy)
    {
        var defaults = new ProxySettings { Backends = [] };
        var (backends, weights) = ParseBackends(BackendEntries(proxy));
        var urls = ParseListen(proxy, "Urls", "--urls", allowHttps: true) ?? defaults.Urls;
        return new ProxySettings
        {
            Tls = ParseTls(proxy, urls),
            Backends = backends,
            Weights = weights,
            Urls = urls,
            AdminUrls = ParseListen(proxy, "AdminUrls", "--admin-urls") ?? defaults.AdminUrls,
            ConnectTimeout = Seconds(proxy, "ConnectTimeoutSeconds", "--connect-timeout") ?? defaults.ConnectTimeout,
            ResponseTimeout = Seconds(proxy, "ResponseTimeoutSeconds", "--response-timeout") ?? defaults.ResponseTimeout,
            IdleTimeout = Seconds(proxy, "IdleTimeoutSeconds", "--idle-timeout") ?? defaults.IdleTimeout,
            MaxFails = Integer(proxy, "MaxFails", "--max-fails", 1, 1000) ?? defaults.MaxFails,
            EjectDuration = Seconds(proxy, "EjectSeconds", "--eject-seconds") ?? defaults.EjectDuration,
            TrustedProxies = ParseNetworks(List(proxy, "TrustedProxies")),
            MaxConnections = Integer(proxy, "MaxConnections", "--max-connections", 1, 10_000_000) ?? defaults.MaxConnections,
            ClientHeaderTimeout = Seconds(proxy, "ClientHeaderTimeoutSeconds", "--client-header-timeout") ?? defaults.ClientHeaderTimeout,
            ClientKeepAliveTimeout = Seconds(proxy, "ClientKeepAliveTimeoutSeconds", "--client-keepalive-timeout") ?? defaults.ClientKeepAliveTimeout,
            ClientMinBytesPerSecond = Integer(proxy, "ClientMinBytesPerSecond", "--client-min-rate", 0, 1_000_000_000) ?? defaults.ClientMinBytesPerSecond,
            ShutdownTimeout = Seconds(proxy, "ShutdownTimeoutSeconds", "--shutdown-timeout", allowZero: true) ?? defaults.ShutdownTimeout,
            AdminToken = string.IsNullOrWhiteSpace(proxy["AdminToken"]) ? null : proxy["AdminToken"]!.Trim(),
            HealthChecks = ParseHealthChecks(proxy),
            SlowStart = Seconds(proxy, "SlowStartSeconds", "--slow-start", allowZero: true) ?? defaults.SlowStart,
        };
    }

    /// <summary>
    /// The backends with their weights. An entry is "URL" or "URL weight=N" (nginx's word for it),
    /// or in appsettings.json an object { "Url": ..., "Weight": N }; weights are 1-100, default 1.
    /// </summary>
    private static (List<Uri> Backends, List<int> Weights) ParseBackends(List<(string Url, string? Weight)> entries)
    {
        const string Setting = "--backends (Proxy:Backends)";
        const string Example = "e.g. --backends http://127.0.0.1:5001,http://127.0.0.1:5002";
        if (entries.Count == 0)
        {
            throw new SettingsException($"{Setting} is required: name at least one backend, {Example}.");
        }

        var backends = new List<Uri>(entries.Count);
        var weights = new List<int>(entries.Count);
        foreach (var (value, weightText) in entries)
        {
            var address = BackendAddress.Parse(value, Setting);
            if (backends.Contains(address))
            {
                throw new SettingsException($"{Setting}: '{value}' is listed twice; name each backend once.");
            }

            backends.Add(address);
            weights.Add(BackendAddress.ParseWeight(weightText, value, Setting));
        }

        return (backends, weights);
    }

    /// <summary>
    /// Backends as URL and weight text, in configuration order: "URL[ weight=N]" strings (one
    /// comma-separated value from the command line or the environment, or array items), or
    /// array items that are objects with Url and Weight.
    /// </summary>
    private static List<(string Url, string? Weight)> BackendEntries(IConfigurationSection proxy)
    {
        var entries = new List<(string Url, string? Weight)>();
        var section = proxy.GetSection("Backends");
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            foreach (var item in section.Value.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                entries.Add(BackendEntry(item));
            }

            return entries;
        }

        foreach (var child in section.GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(child.Value))
            {
                entries.Add(BackendEntry(child.Value));
            }
            else if (child["Url"] is { } url)
            {
                entries.Add((url.Trim(), child["Weight"]?.Trim()));
            }
        }

        return entries;
    }

    private static (string Url, string? Weight) BackendEntry(string item)
    {
        // "URL weight=N"; anything else after the URL makes the whole item the URL, so that the
        // error names what was written ("'not a url' is not an absolute URL").
        var parts = item.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 2 && parts[1].StartsWith("weight=", StringComparison.OrdinalIgnoreCase))
        {
            return (parts[0], parts[1]["weight=".Length..]);
        }

        return (item, null);
    }

    private static List<ListenAddress>? ParseListen(IConfigurationSection proxy, string key, string flag, bool allowHttps = false)
    {
        var values = List(proxy, key);
        if (values.Count == 0)
        {
            return null;
        }

        var addresses = new List<ListenAddress>(values.Count);
        foreach (var value in values)
        {
            addresses.Add(ListenAddress.Parse(value, $"{flag} (Proxy:{key})", allowHttps));
        }

        return addresses;
    }

    private static List<IPNetwork> ParseNetworks(List<string> values)
    {
        const string Setting = "--trusted-proxies (Proxy:TrustedProxies)";
        var networks = new List<IPNetwork>(values.Count);
        foreach (var value in values)
        {
            // A bare address is a network of one.
            if (IPNetwork.TryParse(value, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(value, out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw new SettingsException($"{Setting}: '{value}' is not an address or CIDR range; give e.g. --trusted-proxies 10.0.0.0/8,127.0.0.1.");
            }
        }

        return networks;
    }

    /// <summary>
    /// The PEM certificate and key, loaded once here so that a missing, unreadable or mismatched
    /// pair stops the proxy at start with the usual one line; required when a --urls is https://.
    /// </summary>
    private static Hosting.TlsFiles? ParseTls(IConfigurationSection proxy, IReadOnlyList<ListenAddress> urls)
    {
        var cert = proxy["TlsCert"]?.Trim();
        var key = proxy["TlsKey"]?.Trim();
        var https = urls.FirstOrDefault(u => u.Https);
        if (string.IsNullOrEmpty(cert) && string.IsNullOrEmpty(key))
        {
            return https is null ? null
                : throw new SettingsException($"--urls (Proxy:Urls): {https} needs a certificate: set --tls-cert (Proxy:TlsCert) and --tls-key (Proxy:TlsKey) to PEM files.");
        }

        if (string.IsNullOrEmpty(cert) || string.IsNullOrEmpty(key))
        {
            throw new SettingsException("--tls-cert (Proxy:TlsCert) and --tls-key (Proxy:TlsKey) go together: set both to PEM files.");
        }

        var files = new Hosting.TlsFiles(cert, key);
        _ = files.Load();
        return files;
    }

    /// <summary>Null unless --health-path is set; the other health settings then have HAProxy-like defaults.</summary>
    private static Health.HealthCheckOptions? ParseHealthChecks(IConfigurationSection proxy)
    {
        var path = proxy["HealthPath"]?.Trim();
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        if (!path.StartsWith('/') || path.Any(c => c <= ' ' || c >= 0x7F))
        {
            throw new SettingsException($"--health-path (Proxy:HealthPath): '{path}' is not a path starting with / (visible ASCII, no spaces), e.g. --health-path /healthz.");
        }

        var interval = Seconds(proxy, "HealthIntervalSeconds", "--health-interval") ?? TimeSpan.FromSeconds(2);
        var timeout = Seconds(proxy, "HealthTimeoutSeconds", "--health-timeout") ?? TimeSpan.FromSeconds(1);
        return new Health.HealthCheckOptions(path, interval, timeout,
            Integer(proxy, "HealthFall", "--health-fall", 1, 100) ?? 3,
            Integer(proxy, "HealthRise", "--health-rise", 1, 100) ?? 2);
    }

    private static int? Integer(IConfigurationSection proxy, string key, string flag, int min, int max)
    {
        var value = proxy[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            throw new SettingsException($"{flag} (Proxy:{key}): '{value}' is not a whole number from {min} to {max}, e.g. {flag} {Math.Max(min, 3)}.");
        }

        return number;
    }

    private static TimeSpan? Seconds(IConfigurationSection proxy, string key, string flag, bool allowZero = false)
    {
        var value = proxy[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            || double.IsNaN(seconds) || seconds < 0 || (seconds == 0 && !allowZero) || seconds > 86_400)
        {
            var range = allowZero ? "0 or more" : "more than 0";
            throw new SettingsException($"{flag} (Proxy:{key}): '{value}' is not a number of seconds ({range}, at most 86400), e.g. {flag} 5.");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>
    /// A list setting is either one comma-separated value (a flag, Proxy__Backends) or an array
    /// (appsettings.json, Proxy__Backends__0); the single value wins when both are given.
    /// </summary>
    private static List<string> List(IConfigurationSection proxy, string key)
    {
        var list = new List<string>();
        var section = proxy.GetSection(key);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            foreach (var item in section.Value.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                list.Add(item);
            }

            return list;
        }

        foreach (var child in section.GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(child.Value))
            {
                list.Add(child.Value.Trim());
            }
        }

        return list;
    }
}
