using System.Text.Json;
using System.Text.Json.Serialization;

namespace RoundRobinLab.Proxy.Admin;

/// <summary>One backend as /stats shows it.</summary>
internal sealed record BackendStats(string Address, bool Healthy, long Requests, long Failures, long InFlight, long Ejections, int Weight,
    string State, long Readmissions, long Retries, long HealthChecksPassed, long HealthChecksFailed);

/// <summary>The body of /stats.</summary>
internal sealed record StatsResponse(int Healthy, int Total, BackendStats[] Backends);

/// <summary>One backend as GET /backends shows it.</summary>
internal sealed record BackendView(string Url, int Weight, string State, long Requests, long Failures, long InFlight, long Ejections);

/// <summary>The body of GET and PUT /backends' answers.</summary>
internal sealed record BackendsResponse(BackendView[] Backends);

/// <summary>One backend in a PUT /backends body; nullable so that a missing field gets its own reason.</summary>
internal sealed class BackendSpec
{
    public string? Url { get; init; }

    public int? Weight { get; init; }
}

/// <summary>The body of PUT /backends.</summary>
internal sealed class BackendsRequest
{
    public BackendSpec?[]? Backends { get; init; }
}

/// <summary>The body of POST /backends/drain and /backends/undrain.</summary>
internal sealed class DrainRequest
{
    public string? Url { get; init; }
}

/// <summary>Source-generated JSON: no reflection, so it survives trimming and Native AOT.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(StatsResponse))]
[JsonSerializable(typeof(BackendsResponse))]
[JsonSerializable(typeof(BackendView))]
[JsonSerializable(typeof(BackendsRequest))]
[JsonSerializable(typeof(DrainRequest))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
