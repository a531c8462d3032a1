using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>Where <see cref="OutgoingHeaders.Visit"/> puts the headers a backend gets.</summary>
internal interface IHeaderSink
{
    void Add(string name, StringValues values);
}

/// <summary>
/// The one policy for the headers a backend gets, whatever writes them (an
/// <c>HttpRequestMessage</c> today, the connection's own buffer in <c>Upstream/</c>): each client
/// header checked (<see cref="RequestValidation"/>), hop-by-hop headers and <c>Host</c> dropped,
/// the trust model of <see cref="ForwardedHeaders"/> applied, then <c>X-Forwarded-*</c> added.
/// A struct sink keeps the calls direct.
/// </summary>
internal static class OutgoingHeaders
{
    /// <summary>Passes the headers to <paramref name="sink"/>; returns the 400 to answer instead when one is malformed.</summary>
    public static ProxyError? Visit<TSink>(HttpContext context, ForwardedHeaders forwarded, ref TSink sink)
        where TSink : struct, IHeaderSink
    {
        var incoming = context.Request;
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
                return ProxyError.InvalidHeaderName;
            }

            foreach (var value in header.Value)
            {
                if (!RequestValidation.IsValidValue(value))
                {
                    return ProxyError.InvalidHeaderValue;
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

            sink.Add(name, header.Value);
        }

        // The backend sees its own address as Host (as nginx's proxy_pass does by default); the
        // client's Host, scheme and address travel in the de-facto standard X-Forwarded-* headers.
        var client = ForwardedHeaders.ClientAddress(peer);
        sink.Add("X-Forwarded-For", forwardedFor.Count == 0 ? client : string.Join(", ", forwardedFor.ToArray()) + ", " + client);
        if (!keptProto)
        {
            sink.Add("X-Forwarded-Proto", incoming.Scheme);
        }

        if (!keptHost && incoming.Host.HasValue)
        {
            sink.Add("X-Forwarded-Host", incoming.Host.Value);
        }

        return null;
    }
}
