using System.Text.Json.Serialization;

namespace RoundRobinLab.Backends.Faults;

/// <summary>
/// One network fault on the relay in front of a backend, in Toxiproxy's shape:
/// <code>{ "name": "slow", "type": "latency", "stream": "downstream", "toxicity": 1.0, "attributes": { "latency": 100, "jitter": 10 } }</code>
/// Type and stream are strings, as in Toxiproxy's JSON, so that a wrong one is refused by
/// <see cref="ToxicValidation"/> with the field and the choices named, and so that Toxiproxy's
/// spellings (<c>slow_close</c>, <c>reset_peer</c>, <c>limit_data</c>) are accepted beside the lab's.
/// Toxics compare by value, the name as shown (given or default): a relay treats an identical
/// toxic as the same one (see RelayConnection.Refresh), however it was written.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record Toxic
{
    public const string Downstream = "downstream";

    public const string Upstream = "upstream";

    private readonly string? _name;

    /// <summary>Unique among a backend's toxics; "&lt;type&gt;_&lt;stream&gt;" when not given, as in Toxiproxy.</summary>
    public string Name
    {
        get => _name ?? $"{Type}_{Stream}";
        init => _name = value;
    }

    /// <summary>latency, bandwidth, slow-close, timeout, reset-peer, slicer or limit-data.</summary>
    public string Type { get; init; } = "";

    /// <summary><see cref="Downstream"/> (backend to client, the default) or <see cref="Upstream"/> (client to backend).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string Stream { get; set; } = Downstream;

    /// <summary>
    /// The share (0..1) of connections the toxic hits, drawn once per connection: when it is
    /// accepted, or when the toxic is added while it is open.
    /// </summary>
    // `set`, not `init`: generated JSON code sets every init-only property, turning a missing one into 0.
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public double Toxicity { get; set; } = 1;

    public ToxicAttributes Attributes { get; set; } = new();

    /// <summary>The parsed <see cref="Type"/>; null when it names no toxic (validation refuses those).</summary>
    internal ToxicKind? Kind => ToxicKinds.Parse(Type);

    internal bool IsUpstream => string.Equals(Stream, Upstream, StringComparison.OrdinalIgnoreCase);

    // By hand: the generated equality would compare the name as written, so a toxic without one
    // and its round trip through GET (which writes the default name out) would differ.
    public bool Equals(Toxic? other) =>
        other is not null
        && Name == other.Name
        && Type == other.Type
        && Stream == other.Stream
        && Toxicity.Equals(other.Toxicity)
        && Equals(Attributes, other.Attributes);

    public override int GetHashCode() => HashCode.Combine(Name, Type, Stream, Toxicity, Attributes);
}
