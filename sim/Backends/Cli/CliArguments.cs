namespace RoundRobinLab.Backends.Cli;

/// <summary>
/// The lab's command lines (lab-backends, lab-scenarios): words, "--name value" options (an
/// option may repeat) and -h/--help. Kept this small on purpose: each program validates its own.
/// </summary>
public sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);

    private CliArguments()
    {
    }

    public List<string> Positional { get; } = [];

    public bool Help { get; private set; }

    /// <summary>Throws <see cref="ArgumentException"/> for an option without a value.</summary>
    public static CliArguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new CliArguments();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "-h" or "--help")
            {
                parsed.Help = true;
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"{args[i]} needs a value.");
                }

                var name = args[i];
                (parsed._options.TryGetValue(name, out var values) ? values : parsed._options[name] = []).Add(args[++i]);
            }
            else
            {
                parsed.Positional.Add(args[i]);
            }
        }

        return parsed;
    }

    /// <summary>The option's last value, or null when it was not given.</summary>
    public string? Value(string name) => _options.TryGetValue(name, out var values) ? values[^1] : null;

    /// <summary>Every value of a repeatable option.</summary>
    public IReadOnlyList<string> Values(string name) => _options.TryGetValue(name, out var values) ? values : [];
}
