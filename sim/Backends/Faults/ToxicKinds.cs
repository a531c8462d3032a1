namespace RoundRobinLab.Backends.Faults;

/// <summary>The names of the toxic types in JSON: the lab's (<c>slow-close</c>) and Toxiproxy's (<c>slow_close</c>) alike.</summary>
internal static class ToxicKinds
{
    private static readonly (string Name, ToxicKind Kind)[] s_names =
    [
        ("latency", ToxicKind.Latency),
        ("bandwidth", ToxicKind.Bandwidth),
        ("slow-close", ToxicKind.SlowClose),
        ("timeout", ToxicKind.Timeout),
        ("reset-peer", ToxicKind.ResetPeer),
        ("slicer", ToxicKind.Slicer),
        ("limit-data", ToxicKind.LimitData),
    ];

    /// <summary>"latency, bandwidth, slow-close, timeout, reset-peer, slicer or limit-data", for messages.</summary>
    public static string Choices { get; } = string.Join(", ", s_names[..^1].Select(n => n.Name)) + " or " + s_names[^1].Name;

    public static ToxicKind? Parse(string? type)
    {
        var name = type?.Replace('_', '-');
        foreach (var (known, kind) in s_names)
        {
            if (string.Equals(known, name, StringComparison.OrdinalIgnoreCase))
            {
                return kind;
            }
        }

        return null;
    }
}
