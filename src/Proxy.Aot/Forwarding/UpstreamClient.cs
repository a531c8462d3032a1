using System.Net;
using System.Text;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>The one HTTP client every forwarded request shares, set up for proxying.</summary>
internal static class UpstreamClient
{
    public static HttpMessageInvoker Create(TimeSpan connectTimeout) => new(new SocketsHttpHandler
    {
        // A proxy passes responses through as they are: no redirects followed, no decompression,
        // no cookie jar, and no system proxy between us and our own backends.
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ConnectTimeout = connectTimeout,
        // Forwarding is faithful: no traceparent header injected into requests.
        ActivityHeadersPropagator = null,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        // Backends may set many cookies; allow as much response header as Kestrel allows request header.
        MaxResponseHeadersLength = 64,
        // Header bytes pass byte for byte (obs-text is legal): Latin-1 maps each byte to one
        // char and back, matching Kestrel's side (Hosting/ProxyHost.ConfigureClientLimits).
        RequestHeaderEncodingSelector = static (_, _) => Encoding.Latin1,
        ResponseHeaderEncodingSelector = static (_, _) => Encoding.Latin1,
    }, disposeHandler: true);
}
