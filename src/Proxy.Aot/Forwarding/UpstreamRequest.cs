using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using RoundRobinLab.Proxy.Balancing;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// The request a backend gets, as an <c>HttpRequestMessage</c>: the client's method and raw
/// target under the backend's prefix, and the headers <see cref="OutgoingHeaders"/> decides on.
/// Built before a backend is chosen, so a malformed request is refused before any backend could
/// be blamed for it.
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
        var sink = new MessageSink(request, content is { HeadersCopied: false } ? content.Headers : null);
        invalid = OutgoingHeaders.Visit(context, forwarded, ref sink);
        if (invalid is not null)
        {
            return null;
        }

        if (content is not null)
        {
            content.HeadersCopied = true;
        }

        return request;
    }

    /// <summary>Points <paramref name="request"/> at <paramref name="backend"/>: its prefix, then the client's target verbatim.</summary>
    public static void Address(HttpRequestMessage request, Backend backend, string target) =>
        request.RequestUri = new Uri(backend.Prefix + target, in s_verbatim);

    /// <summary>Headers into the message; content headers (Content-Type, Content-Length, ...) into its content.</summary>
    private readonly struct MessageSink(HttpRequestMessage request, HttpContentHeaders? contentHeaders) : IHeaderSink
    {
        public void Add(string name, StringValues values)
        {
            // The request's own collection refuses content headers; they belong to the content,
            // when there is one.
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
}
