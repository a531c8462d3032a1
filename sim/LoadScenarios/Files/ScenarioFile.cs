using System.Text.RegularExpressions;
using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Backends.Profiles;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Expectations;
using RoundRobinLab.Scenarios.Lab;
using RoundRobinLab.Scenarios.Scenarios;
using RoundRobinLab.Scenarios.Thresholds;
using RoundRobinLab.Scenarios.Timeline;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace RoundRobinLab.Scenarios.Files;

/// <summary>
/// A scenario written in a file (YAML; JSON is YAML too), so an experiment needs no compiling:
/// <code>
/// name: reset-mid-body
/// purpose: b2's relay resets its answers; b2 is ejected, GETs are retried, b2 comes back.
/// setup:   { networkFaults: true, proxyArgs: --max-fails 3 --eject-seconds 2, backends: 3, profiles: { default: { bodyBytes: 32768 } } }
/// load:    { rate: 150, duration: 14s, warmUp: 2s }        # or users: 16, or ramp: { from: 50, to: 1000 }
/// thresholds:   [ { threshold: transport==0, reason: the proxy always answers } ]
/// timeline:     [ "at 3s fault: b2 reset-peer toxicity 1.0", { at: 8s, name: healed, do: clear b2 } ]
/// expectations: [ { expect: b2 out of rotation within 1s after fault, reason: ... } ]
/// </code>
/// Read through YamlDotNet's RepresentationModel, which needs no reflection. Every error is one
/// line naming the file, the line and the field.
/// </summary>
public static partial class ScenarioFile
{
    private static readonly string[] s_loadKinds = ["rate", "ramp", "users"];

    public static Scenario Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioFileException($"{path}: cannot read it: {e.Message}", e);
        }

        return Parse(text, path);
    }

    public static Scenario Parse(string yaml, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new ScenarioFileException($"{file}:{ex.Start.Line}: not valid YAML: {ex.Message}", ex);
        }

        if (stream.Documents.Count != 1)
        {
            throw new ScenarioFileException($"{file}:1: one scenario per file ({stream.Documents.Count} documents found).");
        }

        var fields = new YamlFields(file);
        var root = fields.Mapping(stream.Documents[0].RootNode, "", "name", "purpose", "setup", "load", "evenAmong", "thresholds", "timeline", "expectations");
        var name = Required(fields, root, stream.Documents[0].RootNode, "name");
        var nameText = fields.Text(name, "name");
        if (!NamePattern().IsMatch(nameText))
        {
            throw fields.Fail(name, "name", $"'{nameText}' is not a scenario name (lower-case letters, digits and dashes).");
        }

        var setup = root.TryGetValue("setup", out var s) ? Setup(fields, s.Value) : new LabSetup();
        var load = fields.Mapping(Required(fields, root, stream.Documents[0].RootNode, "load"), "load", "rate", "ramp", "users", "duration", "warmUp", "newConnectionPerRequest", "clientTimeout");
        var timeline = root.TryGetValue("timeline", out var t) ? Timeline(fields, t.Value) : [];
        var expectations = root.TryGetValue("expectations", out var e) ? Expectations(fields, e.Value) : [];
        CheckBackends(fields, setup, timeline);
        CheckEvents(fields, timeline, expectations);
        var scenario = new Scenario
        {
            Name = nameText,
            Purpose = fields.Text(Required(fields, root, stream.Documents[0].RootNode, "purpose"), "purpose"),
            SourceFile = file,
            Setup = timeline.Any(x => x.Event.Command.NeedsRelays) ? setup with { NetworkFaults = true } : setup,
            Simulation = Simulation(fields, load, root["load"].Value),
            WarmUp = load.TryGetValue("warmUp", out var w) ? fields.Seconds(w.Value, "load.warmUp") : TimeSpan.FromSeconds(2),
            NewConnectionPerRequest = load.TryGetValue("newConnectionPerRequest", out var n) && fields.Flag(n.Value, "load.newConnectionPerRequest"),
            ClientTimeout = load.TryGetValue("clientTimeout", out var c) ? fields.Seconds(c.Value, "load.clientTimeout") : TimeSpan.FromSeconds(10),
            EvenAmong = root.TryGetValue("evenAmong", out var even) ? fields.Words(even.Value, "evenAmong") : null,
            Thresholds = root.TryGetValue("thresholds", out var th) ? Thresholds(fields, th.Value) : [],
            Timeline = [.. timeline.Select(x => x.Event)],
            Expectations = [.. expectations.Select(x => x.Expectation)],
        };
        return scenario;
    }

    private static YamlNode Required(YamlFields fields, Dictionary<string, (YamlNode Key, YamlNode Value)> mapping, YamlNode parent, string field) =>
        mapping.TryGetValue(field, out var entry) ? entry.Value : throw fields.Fail(parent, field, "missing; every scenario has name, purpose and load.");

    private static LabSetup Setup(YamlFields fields, YamlNode node)
    {
        var m = fields.Mapping(node, "setup", "backends", "mode", "proxyBackends", "weights", "tls", "networkFaults", "proxyArgs", "profiles");
        var setup = new LabSetup();
        if (m.TryGetValue("backends", out var b))
        {
            setup = setup with { Backends = fields.Count(b.Value, "setup.backends") };
        }

        if (m.TryGetValue("mode", out var mode))
        {
            setup = setup with
            {
                Mode = fields.Text(mode.Value, "setup.mode").ToLowerInvariant() switch
                {
                    "wiremock" => BackendMode.WireMock,
                    "lean" => BackendMode.Lean,
                    var other => throw fields.Fail(mode.Value, "setup.mode", $"'{other}' is not wiremock or lean."),
                },
            };
        }

        if (m.TryGetValue("proxyBackends", out var pb))
        {
            setup = setup with { ProxyBackends = fields.Count(pb.Value, "setup.proxyBackends") };
        }

        if (m.TryGetValue("weights", out var weights))
        {
            var list = fields.Sequence(weights.Value, "setup.weights").Select((x, i) => fields.Count(x, $"setup.weights[{i}]")).ToList();
            if (list.Count != setup.Backends)
            {
                throw fields.Fail(weights.Value, "setup.weights", $"{list.Count} weights for {setup.Backends} backends: give one per backend.");
            }

            setup = setup with { Weights = list };
        }

        if (m.TryGetValue("tls", out var tls))
        {
            setup = setup with { Tls = fields.Flag(tls.Value, "setup.tls") };
        }

        if (m.TryGetValue("networkFaults", out var faults))
        {
            setup = setup with { NetworkFaults = fields.Flag(faults.Value, "setup.networkFaults") };
        }

        if (m.TryGetValue("proxyArgs", out var args))
        {
            setup = setup with { ProxyArgs = fields.Words(args.Value, "setup.proxyArgs") };
        }

        if (m.TryGetValue("profiles", out var profiles))
        {
            try
            {
                // The profile file's own schema and checks: the same JSON as `lab backends --profile`.
                setup = setup with { Profiles = ProfileFile.Parse(YamlFields.Json(profiles.Value), "setup.profiles") };
            }
            catch (ArgumentException ex)
            {
                throw fields.Fail(profiles.Value, "setup.profiles", ex.Message.Replace("setup.profiles: ", "", StringComparison.Ordinal));
            }
        }

        return setup;
    }

    private static LoadSimulation Simulation(YamlFields fields, Dictionary<string, (YamlNode Key, YamlNode Value)> load, YamlNode node)
    {
        var duration = load.TryGetValue("duration", out var d) ? fields.Seconds(d.Value, "load.duration") : throw fields.Fail(node, "load.duration", "missing: how long the measured phase lasts, e.g. 10s.");
        var given = s_loadKinds.Where(load.ContainsKey).ToList();
        if (given.Count != 1)
        {
            throw fields.Fail(node, "load", "give exactly one of rate (requests/s), ramp ({ from, to } requests/s) or users (concurrent).");
        }

        switch (given[0])
        {
            case "rate":
                return LoadSimulation.Rate(fields.Positive(load["rate"].Value, "load.rate"), duration);
            case "users":
                return LoadSimulation.Users(fields.Count(load["users"].Value, "load.users"), duration);
            default:
                var ramp = fields.Mapping(load["ramp"].Value, "load.ramp", "from", "to");
                if (!ramp.TryGetValue("from", out var from) || !ramp.TryGetValue("to", out var to))
                {
                    throw fields.Fail(load["ramp"].Value, "load.ramp", "give from and to (requests/s).");
                }

                return LoadSimulation.Ramp(fields.Positive(from.Value, "load.ramp.from"), fields.Positive(to.Value, "load.ramp.to"), duration);
        }
    }

    private static List<Threshold> Thresholds(YamlFields fields, YamlNode node) =>
        [.. fields.Sequence(node, "thresholds").Select((item, i) =>
        {
            var field = $"thresholds[{i}]";
            var (text, reason) = TextAndReason(fields, item, field, "threshold");
            try
            {
                return Threshold.Parse(text, reason);
            }
            catch (ArgumentException ex)
            {
                throw fields.Fail(item, field, ex.Message);
            }
        })];

    private static List<(TimelineEvent Event, YamlNode Node, string Field)> Timeline(YamlFields fields, YamlNode node) =>
        [.. fields.Sequence(node, "timeline").Select((item, i) =>
        {
            var field = $"timeline[{i}]";
            try
            {
                if (item is YamlScalarNode)
                {
                    return (TimelineEvent.Parse(fields.Text(item, field)), item, field);
                }

                // "- at 3s fault: b2 timeout 0" unquoted is YAML for a one-entry mapping: read it as the sentence it looks like.
                if (item is YamlMappingNode { Children.Count: 1 } sentence && sentence.Children.First() is (YamlScalarNode { Value: { } head }, YamlScalarNode { Value: { } tail })
                    && head.StartsWith("at ", StringComparison.OrdinalIgnoreCase))
                {
                    return (TimelineEvent.Parse($"{head}: {tail}"), item, field);
                }

                var m = fields.Mapping(item, field, "at", "name", "do");
                var at = m.TryGetValue("at", out var a) ? fields.Seconds(a.Value, $"{field}.at") : throw fields.Fail(item, $"{field}.at", "missing: when, e.g. 5s.");
                var command = m.TryGetValue("do", out var c) ? c.Value : throw fields.Fail(item, $"{field}.do", "missing: what, e.g. 'b2 reset-peer' or 'clear b2'.");
                try
                {
                    return (new TimelineEvent(at, fields.Text(command, $"{field}.do"), m.TryGetValue("name", out var n) ? fields.Text(n.Value, $"{field}.name") : null), item, field);
                }
                catch (FormatException ex) when (ex is not ScenarioFileException)
                {
                    throw fields.Fail(command, $"{field}.do", ex.Message);
                }
            }
            catch (FormatException ex) when (ex is not ScenarioFileException)
            {
                throw fields.Fail(item, field, ex.Message);
            }
        })];

    private static List<(Expectation Expectation, YamlNode Node, string Field)> Expectations(YamlFields fields, YamlNode node) =>
        [.. fields.Sequence(node, "expectations").Select((item, i) =>
        {
            var field = $"expectations[{i}]";
            var (text, reason) = TextAndReason(fields, item, field, "expect");
            try
            {
                return (Expectation.Parse(text, reason), item, field);
            }
            catch (FormatException ex)
            {
                throw fields.Fail(item, field, ex.Message);
            }
        })];

    /// <summary>"text", or { KEY: text, reason: why }.</summary>
    private static (string Text, string Reason) TextAndReason(YamlFields fields, YamlNode item, string field, string key)
    {
        if (item is YamlScalarNode)
        {
            return (fields.Text(item, field), "");
        }

        var m = fields.Mapping(item, field, key, "reason");
        return (m.TryGetValue(key, out var t) ? fields.Text(t.Value, $"{field}.{key}") : throw fields.Fail(item, $"{field}.{key}", "missing."),
            m.TryGetValue("reason", out var r) ? fields.Text(r.Value, $"{field}.reason") : "");
    }

    /// <summary>Every backend an event names is one of the fleet's (b1..bN).</summary>
    private static void CheckBackends(YamlFields fields, LabSetup setup, List<(TimelineEvent Event, YamlNode Node, string Field)> timeline)
    {
        var ids = Enumerable.Range(1, setup.Backends).Select(i => $"b{i}").ToHashSet();
        foreach (var (e, node, field) in timeline)
        {
            if (!ids.Contains(e.Command.Backend))
            {
                throw fields.Fail(node, field, $"no backend '{e.Command.Backend}' in a fleet of {setup.Backends} ({string.Join(", ", ids)}).");
            }
        }
    }

    /// <summary>Every event an expectation names is on the timeline, once.</summary>
    private static void CheckEvents(YamlFields fields, List<(TimelineEvent Event, YamlNode Node, string Field)> timeline, List<(Expectation Expectation, YamlNode Node, string Field)> expectations)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (e, node, field) in timeline)
        {
            if (e.Name is { } name && !names.Add(name))
            {
                throw fields.Fail(node, $"{field}.name", $"'{name}' names two events.");
            }
        }

        foreach (var (expectation, node, field) in expectations)
        {
            foreach (var name in expectation.EventNames())
            {
                if (!names.Contains(name))
                {
                    throw fields.Fail(node, field, $"no timeline event named '{name}' (named: {(names.Count == 0 ? "none" : string.Join(", ", names))}; or start, end, a time like 5s).");
                }
            }
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex NamePattern();
}
