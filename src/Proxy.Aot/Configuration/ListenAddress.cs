using System.Net;

namespace RoundRobinLab.Proxy.Configuration;

/// <summary>One http:// or https:// address to listen on, parsed from --urls or --admin-urls.</summary>
internal sealed record ListenAddress(string Host, int Port, bool Https = false)
{
    public bool IsAnyHost => Host is "*" or "+" or "0.0.0.0" or "[::]" or "::";

    public bool IsLocalhost => Host.Equals("localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>The address to bind when the host is a literal IP; null for localhost and any-host.</summary>
    public IPAddress? Address => IsAnyHost || IsLocalhost ? null : IPAddress.Parse(Host.Trim('[', ']'));

    public override string ToString() => $"{(Https ? "https" : "http")}://{Host}:{Port}";

    /// <summary>
    /// Parses "http://host:port" (and "https://host:port" when <paramref name="allowHttps"/>);
    /// throws a <see cref="SettingsException"/> naming <paramref name="setting"/>.
    /// </summary>
    public static ListenAddress Parse(string value, string setting, bool allowHttps = false)
    {
        const string Example = "e.g. http://0.0.0.0:8080 or http://127.0.0.1:0 for any free port";
        var text = value.Trim();
        var https = text.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (https && !allowHttps)
        {
            throw new SettingsException($"{setting}: '{value}' uses https, which this listener does not serve; give {Example}.");
        }

        if (!https && !text.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            throw new SettingsException($"{setting}: '{value}' is not an http:// address; give {Example}.");
        }

        var authority = text[(https ? "https://" : "http://").Length..].TrimEnd('/');
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || authority.EndsWith(']') || authority.Contains('/', StringComparison.Ordinal))
        {
            throw new SettingsException($"{setting}: '{value}' needs a host and a port and nothing else; give {Example}.");
        }

        var host = authority[..colon];
        if (!int.TryParse(authority[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new SettingsException($"{setting}: '{value}' has no valid port (0-65535); give {Example}.");
        }

        var address = new ListenAddress(host, port, https);
        if (!address.IsAnyHost && !address.IsLocalhost && !IPAddress.TryParse(host.Trim('[', ']'), out _))
        {
            throw new SettingsException($"{setting}: '{value}' must name an IP address, localhost or * as its host; give {Example}.");
        }

        return address;
    }
}
