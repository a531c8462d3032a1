using System.Text.Json.Serialization;
using RoundRobinLab.Backends.Faults;

namespace RoundRobinLab.Backends.Profiles;

/// <summary>
/// How one fake backend behaves: how long it waits, how often it fails and how, and what it sends.
/// Every part is optional; an empty profile answers at once with the identity JSON.
/// </summary>
public sealed record BackendProfile
{
    public LatencyProfile? Latency { get; init; }

    /// <summary>Probability (0..1) of answering with <see cref="ErrorStatus"/> instead of 200.</summary>
    public double ErrorRate { get; init; }

    // `set`, not `init`: generated JSON code sets every init-only property, turning a missing
    // one into 0 instead of keeping this default.
    public int ErrorStatus { get; set; } = 500;

    public FaultProfile? Faults { get; init; }

    /// <summary>Send the response body in this many chunks with a pause between them.</summary>
    public StreamProfile? Stream { get; init; }

    /// <summary>When above 0, the response body is this many bytes (a repeating pattern) instead of the identity JSON.</summary>
    public long BodyBytes { get; init; }

    /// <summary>
    /// The status of <c>GET /healthz</c>, the lab's health path, independent of every other path:
    /// a backend can be up and answer / while it reports itself sick. Health checks are not
    /// counted among the requests the backend received (they are not client requests).
    /// </summary>
    public int HealthStatus { get; set; } = 200;

    /// <summary>Start this backend down (refusing connections) until it is brought up.</summary>
    public bool Down { get; init; }

    /// <summary>
    /// Network faults on the TCP relay in front of this backend, in Toxiproxy's vocabulary
    /// (sim/Backends/README.md, "Network faults"). Only with network faults on (FleetOptions.NetworkFaults).
    /// </summary>
    public IReadOnlyList<Toxic>? Toxics { get; init; }

    public static BackendProfile Healthy { get; } = new();
}

public enum LatencyKind
{
    None,
    Fixed,
    Uniform,
    LogNormal,
}

/// <summary>
/// Added latency before answering. Fixed: <see cref="Ms"/>. Uniform: between <see cref="MinMs"/>
/// and <see cref="MaxMs"/>. Log-normal: median <see cref="MedianMs"/> and shape <see cref="Sigma"/>
/// (the standard deviation of the log), the long-tailed shape real services have.
/// </summary>
public sealed record LatencyProfile
{
    [JsonConverter(typeof(JsonStringEnumConverter<LatencyKind>))]
    public LatencyKind Type { get; init; }

    public double Ms { get; init; }

    public double MinMs { get; init; }

    public double MaxMs { get; init; }

    public double MedianMs { get; init; }

    public double Sigma { get; init; }

    public static LatencyProfile Fixed(double ms) => new() { Type = LatencyKind.Fixed, Ms = ms };

    public static LatencyProfile Uniform(double minMs, double maxMs) => new() { Type = LatencyKind.Uniform, MinMs = minMs, MaxMs = maxMs };

    public static LatencyProfile LogNormal(double medianMs, double sigma) => new() { Type = LatencyKind.LogNormal, MedianMs = medianMs, Sigma = sigma };

    /// <summary>Draws one delay.</summary>
    public TimeSpan Sample(Random random) => Type switch
    {
        LatencyKind.Fixed => TimeSpan.FromMilliseconds(Ms),
        LatencyKind.Uniform => TimeSpan.FromMilliseconds(MinMs + (random.NextDouble() * (MaxMs - MinMs))),
        LatencyKind.LogNormal => TimeSpan.FromMilliseconds(MedianMs * Math.Exp(Sigma * StandardNormal(random))),
        _ => TimeSpan.Zero,
    };

    // Box-Muller; 1 - NextDouble() is in (0, 1], so the logarithm is finite.
    private static double StandardNormal(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());
}

/// <summary>
/// Probabilities (0..1, summing to at most 1) of failing a request in a way a proxy must handle.
/// The request is received and logged first; then the backend misbehaves instead of answering.
/// </summary>
public sealed record FaultProfile
{
    /// <summary>Reset the connection (TCP RST) instead of answering.</summary>
    public double Reset { get; init; }

    /// <summary>Answer with bytes that are not HTTP.</summary>
    public double Malformed { get; init; }

    /// <summary>Never answer; hold the connection until the client gives up.</summary>
    public double NoResponse { get; init; }
}

/// <summary>A slow streamed response: the body in <see cref="Chunks"/> parts, <see cref="ChunkDelayMs"/> apart.</summary>
public sealed record StreamProfile
{
    // `set`, not `init`, for the same reason as BackendProfile.ErrorStatus.
    public int Chunks { get; set; } = 1;

    public double ChunkDelayMs { get; init; }
}
