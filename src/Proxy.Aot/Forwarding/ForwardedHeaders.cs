using System.Net;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// One trust model for the headers that say who the client is: <c>Forwarded</c>, every
/// <c>X-Forwarded-*</c> and <c>X-Real-IP</c>. From a peer outside --trusted-proxies they are lies
/// waiting to happen (a client can claim any address), so they are dropped and
/// <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c> are set afresh from the connection.
/// From a trusted peer (a TLS terminator or load balancer in front of us) they are kept, and
/// <c>X-Forwarded-For</c> gets the peer appended, as nginx's
/// <c>$proxy_add_x_forwarded_for</c> does. <c>Forwarded</c> (RFC 7239) and <c>X-Real-IP</c>
/// are never generated, only passed on from trusted peers: like YARP's defaults.
/// </summary>
internal sealed class ForwardedHeaders(IReadOnlyList<IPNetwork> trustedProxies)
{
    public static readonly ForwardedHeaders TrustNobody = new([]);

    public bool Trusts(IPAddress? peer)
    {
        if (trustedProxies.Count == 0 || peer is null)
        {
            return false;
        }

        var address = peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer;
        foreach (var network in trustedProxies)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    public static bool IsForwardingHeader(string name) =>
        name.StartsWith("X-Forwarded-", StringComparison.OrdinalIgnoreCase)
        || name.Equals("Forwarded", StringComparison.OrdinalIgnoreCase)
        || name.Equals("X-Real-IP", StringComparison.OrdinalIgnoreCase);

    /// <summary>The client address as X-Forwarded-For writes it (IPv4-mapped addresses as IPv4).</summary>
    public static string ClientAddress(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }
}
