using System.Globalization;

namespace RoundRobinLab.Proxy.Configuration;

/// <summary>
/// A backend's address and weight as an operator writes them: on the command line, in
/// appsettings.json, or in a PUT /backends body. One place, so that all three refuse the same things
/// with the same words.
/// </summary>
internal static class BackendAddress
{
    private const string Example = "e.g. --backends http://127.0.0.1:5001,http://127.0.0.1:5002";

    /// <summary>An absolute http(s) URL, optionally with a path prefix, without a trailing slash; throws <see cref="SettingsException"/> naming <paramref name="setting"/>.</summary>
    public static Uri Parse(string value, string setting)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new SettingsException($"{setting}: '{value}' is not an absolute http:// or https:// URL; {Example}.");
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw new SettingsException($"{setting}: '{value}' may have a path prefix but no query, fragment or user info; {Example}.");
        }

        // A trailing slash would double the slash that starts every forwarded path.
        return new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/'), UriKind.Absolute);
    }

    /// <summary>1 when <paramref name="text"/> is null, else a whole number from 1 to 100.</summary>
    public static int ParseWeight(string? text, string backend, string setting)
    {
        if (text is null)
        {
            return 1;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var weight) || weight is < 1 or > 100)
        {
            throw new SettingsException($"{setting}: the weight '{text}' of {backend} is not a whole number from 1 to 100; e.g. --backends \"http://127.0.0.1:5001 weight=3,http://127.0.0.1:5002\".");
        }

        return weight;
    }
}
