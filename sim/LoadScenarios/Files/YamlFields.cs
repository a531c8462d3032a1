using System.Globalization;
using System.Text;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace RoundRobinLab.Scenarios.Files;

/// <summary>
/// Reads typed values out of a scenario file's YAML nodes; every error names the file, the line
/// and the field ("scenarios/x.yaml:12: load.rate: 'fast' is not a number.").
/// </summary>
internal sealed class YamlFields(string file)
{
    public ScenarioFileException Fail(YamlNode node, string field, string message) =>
        new($"{file}:{node.Start.Line}: {field}: {message}");

    /// <summary>The mapping's entries, refusing keys not in <paramref name="known"/>.</summary>
    public Dictionary<string, (YamlNode Key, YamlNode Value)> Mapping(YamlNode node, string field, params string[] known)
    {
        if (node is not YamlMappingNode mapping)
        {
            throw Fail(node, field, $"expected a mapping with {string.Join(", ", known)}.");
        }

        var entries = new Dictionary<string, (YamlNode, YamlNode)>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Children)
        {
            var name = key is YamlScalarNode { Value: { } text } ? text : throw Fail(key, field, "a key must be a plain name.");
            var path = field.Length == 0 ? name : $"{field}.{name}";
            if (!known.Contains(name, StringComparer.Ordinal))
            {
                throw Fail(key, path, $"unknown field; known here: {string.Join(", ", known)}.");
            }

            if (!entries.TryAdd(name, (key, value)))
            {
                throw Fail(key, path, "given twice.");
            }
        }

        return entries;
    }

    public string Text(YamlNode node, string field) =>
        node is YamlScalarNode { Value: { } text } && text.Trim().Length > 0 ? text.Trim() : throw Fail(node, field, "expected text.");

    public double Number(YamlNode node, string field) =>
        double.TryParse(Text(node, field), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value : throw Fail(node, field, $"'{Text(node, field)}' is not a number.");

    public double Positive(YamlNode node, string field) =>
        Number(node, field) is var value and > 0 ? value : throw Fail(node, field, $"'{Text(node, field)}' is not a positive number.");

    public int Count(YamlNode node, string field) =>
        int.TryParse(Text(node, field), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value : throw Fail(node, field, $"'{Text(node, field)}' is not a whole number above 0.");

    public bool Flag(YamlNode node, string field) => Text(node, field).ToLowerInvariant() switch
    {
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        var other => throw Fail(node, field, $"'{other}' is not true or false."),
    };

    public TimeSpan Seconds(YamlNode node, string field)
    {
        try
        {
            return Timeline.TimelineEvent.ParseSeconds(Text(node, field), field);
        }
        catch (FormatException)
        {
            throw Fail(node, field, $"'{Text(node, field)}' is not a time (seconds: 10, 10s, 500ms).");
        }
    }

    public IReadOnlyList<YamlNode> Sequence(YamlNode node, string field) =>
        node is YamlSequenceNode sequence ? sequence.Children.ToList() : throw Fail(node, field, "expected a list (- item per line, or [a, b]).");

    /// <summary>A list of words: a YAML list, or one string split at spaces (proxy flags read naturally either way).</summary>
    public List<string> Words(YamlNode node, string field) => node is YamlSequenceNode
        ? [.. Sequence(node, field).Select((item, i) => Text(item, $"{field}[{i}]"))]
        : [.. Text(node, field).Split(' ', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>
    /// The node as JSON, for parts whose schema already has a source-generated JSON reader (the
    /// fleet's profiles). Plain scalars that read as numbers, booleans or null stay so; quoted ones are strings.
    /// </summary>
    public static string Json(YamlNode node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, node);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(Utf8JsonWriter writer, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                writer.WriteStartObject();
                foreach (var (key, value) in mapping.Children)
                {
                    writer.WritePropertyName(((YamlScalarNode)key).Value ?? "");
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case YamlSequenceNode sequence:
                writer.WriteStartArray();
                foreach (var item in sequence.Children)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case YamlScalarNode scalar when scalar.Style is YamlDotNet.Core.ScalarStyle.Plain:
                var text = scalar.Value ?? "";
                if (text is "true" or "false" or "null" || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    writer.WriteRawValue(text);
                }
                else
                {
                    writer.WriteStringValue(text);
                }

                break;
            case YamlScalarNode scalar:
                writer.WriteStringValue(scalar.Value);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }
}
