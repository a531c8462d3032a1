using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using RoundRobinLab.Proxy.Balancing;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// The request a backend gets: the client's method and raw target under the backend's prefix,
/// its end-to-end headers (each checked by <see cref="RequestValidation"/> as it is copied), and
/// the forwarding headers by <see cref="ForwardedHeaders"/>' rules. Built before a backend is
/// chosen, so a malformed request is refused before any backend could be blamed for it.
/// </summary>
internal static class UpstreamRequest
{
    private static readonly UriCreationOptions s_verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    /// <summary>The request without its address (see <see cref="Address"/>), or null and the 400 to answer.</summary>
    public static HttpRequestMessage? Build(HttpContext context, RequestBodyContent? content, ForwardedHeaders forwarded, out ProxyError? invalid)
    {
        var incoming = context.Request;
        var request = new HttpRequestMessage(HttpMethod.Parse(incoming.Method), (Uri?)null)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = content,
        };

        // A retry reuses the body content, whose headers were filled by the first attempt.
        var contentHeaders = content is { HeadersCopied: false } ? content.Headers : null;
        var headers = incoming.Headers;
        var namedInConnection = headers.Connection.Count == 0 ? null : HopByHopHeaders.NamedIn(headers.Connection);
        var peer = context.Connection.RemoteIpAddress;
        var trusted = forwarded.Trusts(peer);
        StringValues forwardedFor = default;
        var keptProto = false;
        var keptHost = false;
        foreach (var header in headers)
        {
            var name = header.Key;
            if (!RequestValidation.IsValidName(name))
            {
                invalid = ProxyError.InvalidHeaderName;
                return null;
            }

            foreach (var value in header.Value)
            {
                if (!RequestValidation.IsValidValue(value))
                {
                    invalid = ProxyError.InvalidHeaderValue;
                    return null;
                }
            }

            if (HopByHopHeaders.IsHopByHop(name, namedInConnection) || name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (ForwardedHeaders.IsForwardingHeader(name))
            {
                if (!trusted)
                {
                    continue;
                }

                if (name.Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase))
                {
                    forwardedFor = header.Value;
                    continue;
                }

                keptProto |= name.Equals("X-Forwarded-Proto", StringComparison.OrdinalIgnoreCase);
                keptHost |= name.Equals("X-Forwarded-Host", StringComparison.OrdinalIgnoreCase);
            }

            AddHeader(request, contentHeaders, name, header.Value);
        }

        // The backend sees its own address as Host (as nginx's proxy_pass does by default); the
        // client's Host, scheme and address travel in the de-facto standard X-Forwarded-* headers.
        var client = ForwardedHeaders.ClientAddress(peer);
        AddHeader(request, null, "X-Forwarded-For", forwardedFor.Count == 0 ? client : string.Join(", ", forwardedFor.ToArray()) + ", " + client);
        if (!keptProto)
        {
            AddHeader(request, null, "X-Forwarded-Proto", incoming.Scheme);
        }

        if (!keptHost && incoming.Host.HasValue)
        {
            AddHeader(request, null, "X-Forwarded-Host", incoming.Host.Value);
        }

        if (content is not null)
        {
            content.HeadersCopied = true;
        }

        invalid = null;
        return request;
    }

    /// <summary>Points <paramref name="request"/> at <paramref name="backend"/>: its prefix, then the client's target verbatim.</summary>
    public static void Address(HttpRequestMessage request, Backend backend, string target) =>
        request.RequestUri = new Uri(backend.Prefix + target, in s_verbatim);

    private static void AddHeader(HttpRequestMessage request, HttpContentHeaders? contentHeaders, string name, StringValues values)
    {
        // Content headers (Content-Type, Content-Length, ...) are refused by the request's own
        // collection and belong to the content, when there is one.
        if (values.Count == 1)
        {
            var value = values.ToString();
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                contentHeaders?.TryAddWithoutValidation(name, value);
            }

            return;
        }

        var list = values.ToArray();
        if (!request.Headers.TryAddWithoutValidation(name, list))
        {
            contentHeaders?.TryAddWithoutValidation(name, list);
        }
    }
}
