using System.Text.Json.Serialization;

namespace RoundRobinLab.Backends.Faults;

/// <summary>
/// A toxic's numbers, named as Toxiproxy names them. Each type takes its own (ToxicValidation
/// says which); one left out counts as 0, as in Toxiproxy. Null is "not given", so a number given
/// to the wrong type is refused instead of ignored, and a misspelt one is refused by the JSON reader.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ToxicAttributes
{
    /// <summary>latency: ms added to each chunk.</summary>
    public long? Latency { get; init; }

    /// <summary>latency: ± this many ms, uniformly.</summary>
    public long? Jitter { get; init; }

    /// <summary>bandwidth: KB/s.</summary>
    public long? Rate { get; init; }

    /// <summary>slow-close: ms before the FIN; slicer: µs between slices (Toxiproxy's units for each).</summary>
    public long? Delay { get; init; }

    /// <summary>timeout: ms before the connection is closed (0: never); reset-peer: ms before the reset (0: at once).</summary>
    public long? Timeout { get; init; }

    /// <summary>slicer: the slices' mean size in bytes.</summary>
    [JsonPropertyName("average_size")]
    public long? AverageSize { get; init; }

    /// <summary>slicer: ± this many bytes, uniformly; below <see cref="AverageSize"/>.</summary>
    [JsonPropertyName("size_variation")]
    public long? SizeVariation { get; init; }

    /// <summary>limit-data: bytes relayed in the stream before the connection is closed.</summary>
    public long? Bytes { get; init; }
}
