using RoundRobinLab.Backends.Faults;

namespace RoundRobinLab.Backends.Profiles;

/// <summary>Rejects a profile that cannot be meant, naming the field and the allowed range.</summary>
public static class ProfileValidation
{
    public static void Validate(BackendProfile profile, string where)
    {
        Probability(profile.ErrorRate, $"{where}.errorRate");
        if (profile.HealthStatus is < 100 or > 599)
        {
            throw new ArgumentException($"{where}.healthStatus: {profile.HealthStatus} is not an HTTP status (100-599).");
        }

        if (profile.ErrorStatus is < 100 or > 599)
        {
            throw new ArgumentException($"{where}.errorStatus: {profile.ErrorStatus} is not an HTTP status (100-599).");
        }

        if (profile.BodyBytes < 0)
        {
            throw new ArgumentException($"{where}.bodyBytes: must be 0 (identity JSON) or more.");
        }

        if (profile.Latency is { } latency)
        {
            var bad = latency.Type switch
            {
                LatencyKind.Fixed => latency.Ms < 0,
                LatencyKind.Uniform => latency.MinMs < 0 || latency.MaxMs < latency.MinMs,
                LatencyKind.LogNormal => latency.MedianMs <= 0 || latency.Sigma < 0,
                _ => false,
            };
            if (bad)
            {
                throw new ArgumentException($"{where}.latency: {latency.Type} needs " + latency.Type switch
                {
                    LatencyKind.Fixed => "ms >= 0",
                    LatencyKind.Uniform => "0 <= minMs <= maxMs",
                    _ => "medianMs > 0 and sigma >= 0",
                } + ".");
            }
        }

        if (profile.Faults is { } faults)
        {
            Probability(faults.Reset, $"{where}.faults.reset");
            Probability(faults.Malformed, $"{where}.faults.malformed");
            Probability(faults.NoResponse, $"{where}.faults.noResponse");
            Probability(faults.Reset + faults.Malformed + faults.NoResponse, $"{where}.faults (their sum)");
        }

        if (profile.Stream is { } stream && (stream.Chunks < 1 || stream.ChunkDelayMs < 0))
        {
            throw new ArgumentException($"{where}.stream: needs chunks >= 1 and chunkDelayMs >= 0.");
        }

        if (profile.Toxics is { } toxics)
        {
            ToxicValidation.Validate(toxics, $"{where}.toxics");
        }
    }

    private static void Probability(double value, string where)
    {
        if (double.IsNaN(value) || value is < 0 or > 1)
        {
            throw new ArgumentException($"{where}: {value} is not a probability (0..1).");
        }
    }
}
