using System.Text.Json;

namespace RoundRobinLab.Scenarios.Lab;

/// <summary>One backend as the proxy's admin /stats shows it: the proxy's own numbers, never its log.</summary>
public sealed record ProxyBackendStats(string Address, long Requests, long Ejections, long Readmissions, string State)
{
    /// <summary>In rotation: "active" or "slow-start", as /metrics' rrproxy_backend_in_rotation counts them.</summary>
    public bool InRotation => State is "active" or "slow-start";
}

/// <summary>The one reader of the proxy's /stats for the lab: counts, rotation changes, states.</summary>
public static class ProxyStats
{
    public static async Task<List<ProxyBackendStats>> ReadAsync(HttpClient client, Uri admin, CancellationToken cancellationToken = default)
    {
        using var stats = JsonDocument.Parse(await client.GetStringAsync(new Uri(admin, "/stats"), cancellationToken));
        return [.. stats.RootElement.GetProperty("backends").EnumerateArray().Select(b => new ProxyBackendStats(
            b.GetProperty("address").GetString()!,
            b.GetProperty("requests").GetInt64(),
            b.GetProperty("ejections").GetInt64(),
            b.GetProperty("readmissions").GetInt64(),
            b.GetProperty("state").GetString()!))];
    }
}
