using System.Globalization;

namespace RoundRobinLab.Backends.Faults;

/// <summary>Rejects a toxic that cannot be meant, naming the field and the allowed range (as ProfileValidation does for profiles).</summary>
public static class ToxicValidation
{
    /// <summary>The longest delay or timeout a toxic may ask for, in ms: an hour is already "never" for a lab run.</summary>
    public const long MaxMs = 3_600_000;

    /// <summary>A slicer's largest average slice: the relay reads at most 64 KiB at a time anyway.</summary>
    public const long MaxSliceBytes = 65_536;

    /// <summary>Every attribute by its JSON name, to say which ones a type takes.</summary>
    private static readonly (string Name, Func<ToxicAttributes, long?> Value)[] s_attributes =
    [
        ("latency", a => a.Latency),
        ("jitter", a => a.Jitter),
        ("rate", a => a.Rate),
        ("delay", a => a.Delay),
        ("timeout", a => a.Timeout),
        ("average_size", a => a.AverageSize),
        ("size_variation", a => a.SizeVariation),
        ("bytes", a => a.Bytes),
    ];

    /// <summary>A backend's toxics: each one valid, and no two with one name.</summary>
    public static void Validate(IReadOnlyList<Toxic> toxics, string where)
    {
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < toxics.Count; i++)
        {
            // JSON can say null where the type cannot.
            if (toxics[i] is null)
            {
                throw new ArgumentException($"{where}[{i}]: null is not a toxic.");
            }

            Validate(toxics[i], $"{where}[{i}]");
            if (!names.TryAdd(toxics[i].Name, i))
            {
                throw new ArgumentException($"{where}[{i}].name: '{toxics[i].Name}' is taken by [{names[toxics[i].Name]}] of the same list; give each toxic of a backend its own name.");
            }
        }
    }

    public static void Validate(Toxic toxic, string where)
    {
        if (toxic.Kind is not { } kind)
        {
            var what = string.IsNullOrEmpty(toxic.Type) ? "missing" : $"'{toxic.Type}' is not a toxic type";
            throw new ArgumentException($"{where}.type: {what}; use {ToxicKinds.Choices}.");
        }

        if (string.IsNullOrWhiteSpace(toxic.Name))
        {
            throw new ArgumentException($"{where}.name: must not be empty (leave it out for \"<type>_<stream>\").");
        }

        if (!string.Equals(toxic.Stream, Toxic.Downstream, StringComparison.OrdinalIgnoreCase) && !toxic.IsUpstream)
        {
            throw new ArgumentException($"{where}.stream: '{toxic.Stream}' is neither {Toxic.Upstream} (client to backend) nor {Toxic.Downstream} (backend to client, the default).");
        }

        if (double.IsNaN(toxic.Toxicity) || toxic.Toxicity is < 0 or > 1)
        {
            throw new ArgumentException($"{where}.toxicity: {toxic.Toxicity.ToString(CultureInfo.InvariantCulture)} is not a probability (0..1).");
        }

        var attributes = toxic.Attributes ?? new ToxicAttributes();
        var takes = Takes(kind);
        foreach (var (name, value) in s_attributes)
        {
            if (value(attributes) is not null && !takes.Contains(name))
            {
                throw new ArgumentException($"{where}.attributes.{name}: {toxic.Type} takes {string.Join(" and ", takes)}, not {name}.");
            }
        }

        var at = $"{where}.attributes";
        switch (kind)
        {
            case ToxicKind.Latency:
                Range(attributes.Latency, 0, MaxMs, $"{at}.latency", "ms");
                Range(attributes.Jitter, 0, MaxMs, $"{at}.jitter", "ms");
                break;
            case ToxicKind.Bandwidth:
                // Required: Toxiproxy reads a rate of 0 as "no limit", which no one adds a toxic for.
                Range(attributes.Rate, 1, 1_000_000_000, $"{at}.rate", "KB/s");
                break;
            case ToxicKind.SlowClose:
                Range(attributes.Delay, 0, MaxMs, $"{at}.delay", "ms");
                break;
            case ToxicKind.Timeout:
                Range(attributes.Timeout, 0, MaxMs, $"{at}.timeout", "ms; 0 never closes");
                break;
            case ToxicKind.ResetPeer:
                Range(attributes.Timeout, 0, MaxMs, $"{at}.timeout", "ms; 0 resets at once");
                break;
            case ToxicKind.Slicer:
                Range(attributes.AverageSize, 1, MaxSliceBytes, $"{at}.average_size", "bytes");
                Range(attributes.SizeVariation, 0, (attributes.AverageSize ?? 1) - 1, $"{at}.size_variation", "bytes, below average_size");
                Range(attributes.Delay, 0, MaxMs * 1000, $"{at}.delay", "µs");
                break;
            case ToxicKind.LimitData:
                Range(attributes.Bytes, 0, long.MaxValue, $"{at}.bytes", "bytes");
                break;
        }
    }

    private static string[] Takes(ToxicKind kind) => kind switch
    {
        ToxicKind.Latency => ["latency", "jitter"],
        ToxicKind.Bandwidth => ["rate"],
        ToxicKind.SlowClose => ["delay"],
        ToxicKind.Timeout or ToxicKind.ResetPeer => ["timeout"],
        ToxicKind.Slicer => ["average_size", "size_variation", "delay"],
        _ => ["bytes"],
    };

    private static void Range(long? given, long min, long max, string where, string unit)
    {
        var value = given ?? 0;
        if (value < min || value > max)
        {
            var range = max == long.MaxValue ? $"{min} or more" : $"{min}..{max}";
            throw new ArgumentException($"{where}: {value} is not in {range} ({unit}).");
        }
    }
}
