using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// What Kestrel lets through but a proxy must not pass on: a backend behind us may parse these
/// differently from Kestrel (request smuggling, header injection), so they are refused with a
/// 400 before any backend is chosen (<see cref="OutgoingHeaders"/> checks each header as it
/// copies it, so the check costs no second pass over the headers):
/// <list type="bullet">
/// <item>a header name with a character outside RFC 9110's <c>token</c>;</item>
/// <item>a header value with a control character other than HTAB (obs-text, bytes 0x80-0xFF,
/// is legal and passes: headers are read and written as Latin-1, byte for byte).</item>
/// </list>
/// A signed <c>Content-Length</c> (<c>+5</c>) cannot be refused here: Kestrel parses it and keeps
/// only the number, and the backend gets those plain digits.
/// </summary>
internal static class RequestValidation
{
    // RFC 9110 §5.6.2: tchar. An ASCII-only set, so the search is vectorized.
    private static readonly SearchValues<char> s_token =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    public static bool IsValidName(string name) => name.Length > 0 && !name.AsSpan().ContainsAnyExcept(s_token);

    /// <summary>RFC 9110 §5.5: field-vchar (VCHAR or obs-text 0x80-0xFF), SP and HTAB.</summary>
    public static bool IsValidValue(string? value)
    {
        if (value is null)
        {
            return true;
        }

        // Almost every value is printable ASCII: one vectorized scan decides it.
        var span = value.AsSpan();
        var first = span.IndexOfAnyExceptInRange(' ', '~');
        if (first < 0)
        {
            return true;
        }

        foreach (var c in span[first..])
        {
            if (c is < ' ' and not '\t' or '\u007F' or > '\u00FF')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The request target to send upstream: the origin form byte for byte; only the path and query
    /// of an absolute form (so a target can never steer the proxy to a host other than a
    /// configured backend); null for the asterisk form, which is not forwarded.
    /// </summary>
    public static string? Target(HttpContext context)
    {
        var raw = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        if (raw.Length > 0 && raw[0] == '/')
        {
            return raw;
        }

        if (raw == "*")
        {
            return null;
        }

        var request = context.Request;
        var path = request.Path.ToUriComponent();
        return (path.Length == 0 ? "/" : path) + request.QueryString.ToUriComponent();
    }
}
