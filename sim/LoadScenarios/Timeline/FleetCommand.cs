using System.Globalization;
using RoundRobinLab.Backends.Faults;
using RoundRobinLab.Scenarios.Lab;

namespace RoundRobinLab.Scenarios.Timeline;

/// <summary>
/// One thing a timeline does to the running lab, written as a short sentence:
/// <code>
/// b2 reset-peer toxicity 1.0      a toxic on b2's relay (its main number first: b1 bandwidth 64, b2 timeout 0, b1 latency 100 jitter 10)
/// clear b2                         every toxic off b2's relay (also "b2 clear", and so for the verbs below)
/// remove b2 NAME                   one toxic off (its name: TYPE_STREAM unless given with `name`)
/// down b2 | up b2                  the backend (and its relay) stops or starts listening
/// drain b2 | undrain b2            through the proxy's admin API
/// </code>
/// Parsed when the scenario is read, so a typo fails before any load is sent.
/// </summary>
public sealed record FleetCommand(FleetCommandKind Kind, string Backend, Toxic? Toxic = null, string? ToxicName = null)
{
    /// <summary>The attribute a toxic's first bare number sets, by type (Toxiproxy's names and units).</summary>
    private static readonly Dictionary<string, string> s_mainAttribute = new(StringComparer.OrdinalIgnoreCase)
    {
        ["latency"] = "latency",
        ["bandwidth"] = "rate",
        ["slow-close"] = "delay",
        ["timeout"] = "timeout",
        ["reset-peer"] = "timeout",
        ["slicer"] = "average_size",
        ["limit-data"] = "bytes",
    };

    /// <summary>Whether the command needs the fleet's relays (LabSetup.NetworkFaults).</summary>
    public bool NeedsRelays => Kind is FleetCommandKind.Toxic or FleetCommandKind.Clear or FleetCommandKind.Remove;

    public static FleetCommand Parse(string text)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length < 2)
        {
            throw new FormatException($"'{text}': write 'BACKEND TOXIC [VALUE] [KEY VALUE]...', 'clear BACKEND', 'remove BACKEND NAME', 'down|up|drain|undrain BACKEND'.");
        }

        // "b2 down" reads as well as "down b2": a verb after the backend is moved first.
        if (words.Length == 2 && words[1].ToLowerInvariant() is "clear" or "down" or "up" or "drain" or "undrain")
        {
            words = [words[1], words[0]];
        }

        switch (words[0].ToLowerInvariant())
        {
            case "clear" when words.Length == 2:
                return new(FleetCommandKind.Clear, words[1]);
            case "remove" when words.Length == 3:
                return new(FleetCommandKind.Remove, words[1], ToxicName: words[2]);
            case "down" when words.Length == 2:
                return new(FleetCommandKind.Down, words[1]);
            case "up" when words.Length == 2:
                return new(FleetCommandKind.Up, words[1]);
            case "drain" when words.Length == 2:
                return new(FleetCommandKind.Drain, words[1]);
            case "undrain" when words.Length == 2:
                return new(FleetCommandKind.Undrain, words[1]);
            case "clear" or "remove" or "down" or "up" or "drain" or "undrain":
                throw new FormatException($"'{text}': '{words[0]}' takes {(words[0] == "remove" ? "a backend and a toxic name" : "one backend")}.");
            default:
                return new(FleetCommandKind.Toxic, words[0], Toxic: ParseToxic(text, words[1], words[2..]));
        }
    }

    private static Toxic ParseToxic(string text, string type, string[] rest)
    {
        var kind = type.Replace('_', '-');
        if (!s_mainAttribute.TryGetValue(kind, out var main))
        {
            throw new FormatException($"'{text}': '{type}' is not a toxic (latency, bandwidth, slow-close, timeout, reset-peer, slicer or limit-data) nor a command (clear, remove, down, up, drain, undrain).");
        }

        var attributes = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
        string? name = null;
        var stream = Toxic.Downstream;
        var toxicity = 1.0;
        var i = 0;
        if (rest.Length > 0 && long.TryParse(rest[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var first))
        {
            attributes[main] = first;
            i = 1;
        }

        for (; i < rest.Length; i += 2)
        {
            var key = rest[i].ToLowerInvariant();
            if (i + 1 >= rest.Length)
            {
                throw new FormatException($"'{text}': '{rest[i]}' needs a value.");
            }

            var value = rest[i + 1];
            switch (key)
            {
                case "name":
                    name = value;
                    break;
                case "stream":
                    stream = value.ToLowerInvariant() is Toxic.Downstream or Toxic.Upstream ? value.ToLowerInvariant() : throw new FormatException($"'{text}': stream '{value}' is downstream or upstream.");
                    break;
                case "toxicity":
                    toxicity = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) && t is >= 0 and <= 1
                        ? t : throw new FormatException($"'{text}': toxicity '{value}' is not a number in 0..1.");
                    break;
                default:
                    attributes[key] = long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
                        ? number : throw new FormatException($"'{text}': {key} '{value}' is not a whole number.");
                    break;
            }
        }

        long? Take(string attribute) => attributes.Remove(attribute, out var v) ? v : null;
        var toxic = new Toxic
        {
            Name = name ?? $"{kind}_{stream}",
            Type = kind,
            Stream = stream,
            Toxicity = toxicity,
            Attributes = new ToxicAttributes
            {
                Latency = Take("latency"),
                Jitter = Take("jitter"),
                Rate = Take("rate"),
                Delay = Take("delay"),
                Timeout = Take("timeout"),
                AverageSize = Take("average_size"),
                SizeVariation = Take("size_variation"),
                Bytes = Take("bytes"),
            },
        };
        if (attributes.Count > 0)
        {
            throw new FormatException($"'{text}': unknown attribute '{attributes.Keys.First()}' (latency, jitter, rate, delay, timeout, average_size, size_variation, bytes; or name, stream, toxicity).");
        }

        try
        {
            ToxicValidation.Validate(toxic, "toxic");
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"'{text}': {e.Message}", e);
        }

        return toxic;
    }

    /// <summary>Does it to the running lab.</summary>
    public Task RunAsync(LabEnvironment lab)
    {
        switch (Kind)
        {
            case FleetCommandKind.Toxic:
                lab.Fleet[Backend].SetToxic(Toxic!);
                return Task.CompletedTask;
            case FleetCommandKind.Clear:
                lab.Fleet[Backend].ClearToxics();
                return Task.CompletedTask;
            case FleetCommandKind.Remove:
                lab.Fleet[Backend].RemoveToxic(ToxicName!);
                return Task.CompletedTask;
            case FleetCommandKind.Down:
                return lab.Fleet[Backend].DownAsync();
            case FleetCommandKind.Up:
                return lab.Fleet[Backend].UpAsync();
            case FleetCommandKind.Drain:
                return lab.DrainAsync(Backend, drain: true);
            case FleetCommandKind.Undrain:
                return lab.DrainAsync(Backend, drain: false);
            default:
                throw new InvalidOperationException($"no action for {Kind}");
        }
    }
}
