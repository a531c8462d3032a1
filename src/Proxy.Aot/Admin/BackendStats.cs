using System.Text.Json;
using System.Text.Json.Serialization;

namespace RoundRobinLab.Proxy.Admin;

/// <summary>One backend as /stats shows it.</summary>
internal sealed record BackendStats(string Address, bool Healthy, long Requests, long Failures, long InFlight, long Ejections, int Weight);

/// <summary>The body of /stats.</summary>
internal sealed record StatsResponse(int Healthy, int Total, BackendStats[] Backends);

/// <summary>Source-generated JSON: no reflection, so it survives trimming and Native AOT.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(StatsResponse))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
