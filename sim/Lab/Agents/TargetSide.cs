using System.Text.Json;
using RoundRobinLab.Scenarios.Agents;
using RoundRobinLab.Scenarios.Lab;

namespace RoundRobinLab.Lab.Agents;

/// <summary>What the target side counted, read over HTTP for a merge run apart from it: the fleet's control API and the proxy's /stats.</summary>
internal static class TargetSide
{
    public static async Task<TargetCounts?> CountsAsync(string? fleet, string? admin, CancellationToken cancellationToken)
    {
        if (fleet is null && admin is null)
        {
            return null;
        }

        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        Dictionary<string, long>? backends = null;
        var idByPort = new Dictionary<int, string>();
        if (fleet is not null)
        {
            using var status = JsonDocument.Parse(await client.GetStringAsync(new Uri(new Uri(fleet), "/backends"), cancellationToken));
            backends = [];
            foreach (var backend in status.RootElement.EnumerateArray())
            {
                var id = backend.GetProperty("id").GetString()!;
                backends[id] = backend.GetProperty("received").GetInt64();
                idByPort[new Uri(backend.GetProperty("url").GetString()!).Port] = id;
            }
        }

        Dictionary<string, long>? proxy = null;
        long? rotationChanges = null;
        if (admin is not null)
        {
            var rows = await ProxyStats.ReadAsync(client, new Uri(admin), cancellationToken);
            // The proxy knows the backends by its own addresses (a Service's name, say); the fleet by
            // loopback ones: the port is what both share.
            proxy = rows.ToDictionary(
                b => new Uri(b.Address) is var url && idByPort.TryGetValue(url.Port, out var id) ? id : b.Address,
                b => b.Requests);
            rotationChanges = rows.Sum(b => b.Ejections + b.Readmissions);
        }

        return new TargetCounts(backends, proxy, rotationChanges, null);
    }
}
