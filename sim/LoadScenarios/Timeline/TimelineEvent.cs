using System.Globalization;

namespace RoundRobinLab.Scenarios.Timeline;

/// <summary>
/// A scenario's event: at <see cref="At"/> into the measured phase, <see cref="Command"/> happens.
/// Expectations name it by <see cref="Name"/> (one word), or by its text.
/// </summary>
public sealed record TimelineEvent(TimeSpan At, string Text, string? Name = null)
{
    public FleetCommand Command { get; } = FleetCommand.Parse(Text);

    /// <summary>The label of its RunEvent: "[name] text".</summary>
    public string Label => Name is null ? Text : $"{Name}: {Text}";

    /// <summary>"at 5s: b2 reset-peer toxicity 1.0", or with a name: "at 5s fault: b2 reset-peer".</summary>
    public static TimelineEvent Parse(string line)
    {
        var text = line.Trim();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (!text.StartsWith("at ", StringComparison.OrdinalIgnoreCase) || colon < 0)
        {
            throw new FormatException($"'{line}': write 'at SECONDS[s] [NAME]: COMMAND', e.g. 'at 5s fault: b2 reset-peer'.");
        }

        var head = text[3..colon].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (head.Length is 0 or > 2)
        {
            throw new FormatException($"'{line}': write 'at SECONDS[s] [NAME]: COMMAND'.");
        }

        return new TimelineEvent(ParseSeconds(head[0], line), text[(colon + 1)..].Trim(), head.Length == 2 ? head[1] : null);
    }

    public static TimeSpan ParseSeconds(string value, string context)
    {
        var number = value.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? value[..^2] : value.TrimEnd('s', 'S');
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 && double.IsFinite(seconds)
            ? TimeSpan.FromSeconds(value.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? seconds / 1000 : seconds)
            : throw new FormatException($"'{context}': '{value}' is not a time (seconds, e.g. 5s, 2.5, 500ms).");
    }
}
