using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// What Kestrel lets through but a proxy must not pass on: a backend behind us may parse these
/// differently from Kestrel (request smuggling, header injection), so they are refused with a
/// 400 before any backend is chosen.
/// <list type="bullet">
/// <item>a header name with a character outside RFC 9110's <c>token</c>;</item>
/// <item>a header value with a control character other than HTAB (obs-text, bytes 0x80-0xFF,
/// is legal and passes: headers are read and written as Latin-1, byte for byte);</item>
/// <item>a <c>Content-Length</c> that is not <c>1*DIGIT</c> (<c>+5</c>, <c>-0</c>).</item>
/// </list>
/// </summary>
internal static class RequestValidation
{
    // RFC 9110 §5.6.2: tchar.
    private static readonly SearchValues<char> s_token =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    // RFC 9110 §5.5: field-vchar / SP / HTAB, where field-vchar is VCHAR or obs-text (0x80-0xFF).
    private static readonly SearchValues<char> s_fieldValue = SearchValues.Create(FieldValueChars());

    private static readonly SearchValues<char> s_digits = SearchValues.Create("0123456789");

    /// <summary>The request's headers are fit to forward; otherwise the 400 to answer.</summary>
    public static ProxyError? CheckHeaders(IHeaderDictionary headers)
    {
        foreach (var header in headers)
        {
            if (header.Key.Length == 0 || header.Key.AsSpan().ContainsAnyExcept(s_token))
            {
                return ProxyError.InvalidHeaderName;
            }

            foreach (var value in header.Value)
            {
                if (value is not null && value.AsSpan().ContainsAnyExcept(s_fieldValue))
                {
                    return ProxyError.InvalidHeaderValue;
                }
            }
        }

        // Kestrel accepts a sign ("+5", "-0") and reads it as a number; a backend may not.
        var contentLength = headers[HeaderNames.ContentLength];
        if (contentLength.Count > 0)
        {
            foreach (var value in contentLength)
            {
                if (string.IsNullOrEmpty(value) || value.AsSpan().ContainsAnyExcept(s_digits))
                {
                    return ProxyError.InvalidContentLength;
                }
            }
        }

        return null;
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

    private static string FieldValueChars()
    {
        var chars = new List<char> { '\t' };
        for (var c = (char)0x20; c <= 0xFF; c++)
        {
            if (c != 0x7F)
            {
                chars.Add(c);
            }
        }

        return new string([.. chars]);
    }
}
