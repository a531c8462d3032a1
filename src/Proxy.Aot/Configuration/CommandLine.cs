namespace RoundRobinLab.Proxy.Configuration;

/// <summary>
/// The command line: each option maps onto a configuration key, so that a flag, appsettings.json
/// beside the binary and an environment variable (Proxy__EjectSeconds=5) all set the same thing.
/// Flags win over environment variables, which win over appsettings.json.
/// </summary>
internal static class CommandLine
{
    internal sealed record Option(string Flag, string Key, string Value, string Default, string Help);

    public static readonly Option[] Options =
    [
        new("--backends", "Proxy:Backends", "URL[ weight=N][,...]", "(required)", "Backends to spread requests over, e.g. http://127.0.0.1:5001,http://127.0.0.1:5002; a weight (1-100, default 1) gives a backend that many turns per cycle: \"http://10.0.0.1:8000 weight=3,http://10.0.0.2:8000\""),
        new("--urls", "Proxy:Urls", "URL[,URL...]", "http://0.0.0.0:8080", "Where to accept proxied traffic, http:// or https:// (with --tls-cert and --tls-key; HTTP/2 and HTTP/1.1 by ALPN); port 0 picks a free port"),
        new("--tls-cert", "Proxy:TlsCert", "FILE", "(none)", "PEM certificate (chain) for the https:// listeners; read again on SIGHUP and when it or the key changes"),
        new("--tls-key", "Proxy:TlsKey", "FILE", "(none)", "PEM private key of --tls-cert"),
        new("--admin-urls", "Proxy:AdminUrls", "URL[,URL...]", "http://127.0.0.1:9901", "Admin listener: /healthz, /stats, /metrics, /backends"),
        new("--admin-token", "Proxy:AdminToken", "TOKEN", "(none)", "Bearer token that PUT /backends and POST /backends/drain|undrain need; without one they are refused unless the admin listener is on loopback"),
        new("--connect-timeout", "Proxy:ConnectTimeoutSeconds", "SECONDS", "5", "Give up connecting to a backend after this long and try the next one"),
        new("--response-timeout", "Proxy:ResponseTimeoutSeconds", "SECONDS", "100", "Answer 504 when a backend sends no response headers this long after the whole request was sent"),
        new("--idle-timeout", "Proxy:IdleTimeoutSeconds", "SECONDS", "60", "While a body streams to or from a backend, give up when no byte moves either way for this long (504, or a cut connection once the client has part of the response)"),
        new("--max-fails", "Proxy:MaxFails", "N", "3", "Eject a backend after this many failures in a row (timeouts, resets, invalid responses); a refused connection ejects at once"),
        new("--eject-seconds", "Proxy:EjectSeconds", "SECONDS", "10", "Keep an ejected backend out of rotation for this long"),
        new("--trusted-proxies", "Proxy:TrustedProxies", "CIDR[,CIDR...]", "(none)", "Peers whose Forwarded, X-Forwarded-* and X-Real-IP headers are kept and appended to; from anyone else they are replaced"),
        new("--max-connections", "Proxy:MaxConnections", "N", "10000", "Client connections held at once; further ones are closed at once"),
        new("--client-header-timeout", "Proxy:ClientHeaderTimeoutSeconds", "SECONDS", "30", "Close a client connection that has not sent a whole request head within this long (slowloris)"),
        new("--client-keepalive-timeout", "Proxy:ClientKeepAliveTimeoutSeconds", "SECONDS", "130", "Close an idle kept-alive client connection after this long"),
        new("--client-min-rate", "Proxy:ClientMinBytesPerSecond", "BYTES", "240", "Cut a client that sends its body or reads the response slower than this, after a 5 s grace period; 0 turns the check off"),
        new("--slow-start", "Proxy:SlowStartSeconds", "SECONDS", "0", "A backend that joins or comes back (readmitted, passing its checks again, undrained) starts at the smallest share and climbs linearly to its full weight over this long; 0: at once"),
        new("--health-path", "Proxy:HealthPath", "PATH", "(off)", "Turns on active health checks: GET PATH on each backend every --health-interval; a 2xx or 3xx passes"),
        new("--health-interval", "Proxy:HealthIntervalSeconds", "SECONDS", "2", "Time between two health checks of a backend"),
        new("--health-timeout", "Proxy:HealthTimeoutSeconds", "SECONDS", "1", "A health check without a status line within this long fails"),
        new("--health-fall", "Proxy:HealthFall", "N", "3", "Failed health checks in a row that take a backend out of rotation"),
        new("--health-rise", "Proxy:HealthRise", "N", "2", "Passed health checks in a row that bring it back"),
        new("--shutdown-timeout", "Proxy:ShutdownTimeoutSeconds", "SECONDS", "30", "On SIGTERM/Ctrl-C, wait this long for in-flight requests to finish"),
    ];

    public static bool WantsHelp(IReadOnlyList<string> args)
    {
        foreach (var arg in args)
        {
            if (arg is "--help" or "-h" or "-?")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Turns "--flag value" and "--flag=value" into configuration keys and values.</summary>
    public static Dictionary<string, string?> Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var flag = equals > 0 ? arg[..equals] : arg;
            var option = Find(flag) ?? throw new SettingsException($"unknown option '{arg}'; run 'rrproxy --help' for the list.");
            string value;
            if (equals > 0)
            {
                value = arg[(equals + 1)..];
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }
            else
            {
                throw new SettingsException($"{option.Flag} needs a value: {option.Flag} {option.Value}.");
            }

            values[option.Key] = value;
        }

        return values;
    }

    public static string HelpText
    {
        get
        {
            var text = new System.Text.StringBuilder();
            text.AppendLine("rrproxy - a round-robin HTTP reverse proxy");
            text.AppendLine();
            text.AppendLine("Usage: rrproxy --backends URL[,URL...] [options]");
            text.AppendLine();
            text.AppendLine("Options (each also settable as Proxy:<Key> in appsettings.json beside the binary,");
            text.AppendLine("or as the environment variable Proxy__<Key>; flags win):");
            foreach (var option in Options)
            {
                text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  {option.Flag} {option.Value}");
                text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"      {option.Help}. Default: {option.Default}. Key: {option.Key}");
            }

            text.AppendLine("  -h, --help");
            text.AppendLine("      Print this text and exit.");
            text.AppendLine();
            text.AppendLine("SIGHUP, or an edit of appsettings.json, reloads the backends and their weights;");
            text.AppendLine("the admin API changes them too (GET/PUT /backends, POST /backends/drain|undrain).");
            text.AppendLine();
            text.AppendLine("Example: rrproxy --backends http://127.0.0.1:5001,http://127.0.0.1:5002 --urls http://0.0.0.0:8080");
            return text.ToString();
        }
    }

    private static Option? Find(string flag)
    {
        foreach (var option in Options)
        {
            if (option.Flag.Equals(flag, StringComparison.Ordinal))
            {
                return option;
            }
        }

        return null;
    }
}
