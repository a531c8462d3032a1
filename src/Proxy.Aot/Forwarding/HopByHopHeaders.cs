using System.Collections.Frozen;
using Microsoft.Extensions.Primitives;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// Headers that describe one connection and must not cross the proxy (RFC 9110 §7.6.1), plus the
/// proxy-authentication pair, which is addressed to this proxy and would leak credentials to a
/// backend. Whatever a Connection header names is hop-by-hop too.
/// </summary>
internal static class HopByHopHeaders
{
    private static readonly FrozenSet<string> s_names = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "Connection",
        "Proxy-Connection",
        "Keep-Alive",
        "TE",
        "Transfer-Encoding",
        "Upgrade",
        "Proxy-Authenticate",
        "Proxy-Authorization");

    public static bool Contains(string name) => s_names.Contains(name);

    /// <summary>
    /// The extra header names listed in a Connection header, or null when it lists only the usual
    /// keep-alive/close (almost always), so the common case allocates nothing.
    /// </summary>
    public static List<string>? NamedIn(StringValues connection)
    {
        List<string>? names = null;
        foreach (var value in connection)
        {
            if (value is null || IsUsual(value))
            {
                continue;
            }

            foreach (var token in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!IsUsual(token))
                {
                    (names ??= []).Add(token);
                }
            }
        }

        return names;
    }

    /// <summary>Whether <paramref name="name"/> is hop-by-hop, given the names its Connection header listed.</summary>
    public static bool IsHopByHop(string name, List<string>? namedInConnection)
    {
        if (s_names.Contains(name))
        {
            return true;
        }

        if (namedInConnection is not null)
        {
            foreach (var named in namedInConnection)
            {
                if (named.Equals(name, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsUsual(string token) =>
        token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
        || token.Equals("close", StringComparison.OrdinalIgnoreCase)
        || token.Equals("upgrade", StringComparison.OrdinalIgnoreCase);
}
