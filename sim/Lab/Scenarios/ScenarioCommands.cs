using System.CommandLine;
using System.Globalization;
using RoundRobinLab.Harness;
using RoundRobinLab.Lab.Cli;
using RoundRobinLab.Lab.Toolchain;
using RoundRobinLab.Scenarios.Files;
using RoundRobinLab.Scenarios.Scenarios;
using RoundRobinLab.Scenarios.Thresholds;

namespace RoundRobinLab.Lab.Scenarios;

/// <summary>`lab experiment`, `lab scenario NAME`, `lab scenarios`, `lab ci`: the catalogue against the published proxy.</summary>
internal static class ScenarioCommands
{
    public static Command Experiment(CancellationToken interrupt)
    {
        var run = new RunOptions();
        var command = new Command("experiment", $"The default experiment: 3 WireMock backends, the native proxy on the proxy port, {LabDefaults.ExperimentSeconds} s of steady load; per-backend counts as the client, the proxy and the backends saw them, throughput and latency percentiles; reports in results/. Exits 1 when the split is not even or anything failed.");
        run.AddTo(command, withLoad: false);
        command.SetAction(async parse =>
        {
            var settings = await run.SettingsAsync(parse, "experiment", LabPaths.NewRunDirectory("experiment"), interrupt) with { Duration = TimeSpan.FromSeconds(LabDefaults.ExperimentSeconds) };
            var steady = Catalogue.Find("steady")!;
            ScenarioRun.RequirePortsFree(settings.Ports, steady.Setup.Backends);
            return await ScenarioRun.RunAsync(steady, settings, interrupt) ? LabExit.Passed : LabExit.Failed;
        });
        return command;
    }

    public static Command Scenario(CancellationToken interrupt)
    {
        var name = new Argument<string?>("name") { Description = "A scenario of the catalogue ('lab scenarios' lists them), or a scenario file (PATH.yaml).", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file") { Description = "Run the scenario in this file (YAML or JSON; see scenarios/ for examples) instead of one of the catalogue." };
        var run = new RunOptions();
        var agents = LabOptions.Positive("--agents", 1, "Split the load over this many agents (k6's execution segments: their segments add up to the whole). Without --agent-index the lab starts the target and the agents here and merges their results.");
        var agentIndex = new Option<int?>("--agent-index") { Description = "Run only agent I (0-based) of --agents: its segment of the load against --target, results for 'lab merge'." };
        var startAt = new Option<DateTimeOffset?>("--start-at") { Description = "An agent starts its load at this UTC time (ISO 8601), the same for every agent." };
        var command = new Command("scenario", "Run one scenario of the catalogue or of a file; exit 1 when a threshold or an expectation fails.") { name, file, agents, agentIndex, startAt };
        run.AddTo(command, withLoad: true);
        command.SetAction(async parse =>
        {
            var scenario = Choose(parse.GetValue(name), parse.GetValue(file));
            var settings = await run.SettingsAsync(parse, scenario.Name, null, interrupt) with
            {
                Agents = parse.GetValue(agents),
                AgentIndex = parse.GetValue(agentIndex),
                StartAt = parse.GetValue(startAt),
            };
            if (settings.AgentIndex is { } index && index >= settings.Agents)
            {
                throw new ArgumentException($"--agent-index {index} is not below --agents {settings.Agents}.");
            }

            if (settings.Target is null)
            {
                ScenarioRun.RequirePortsFree(settings.Ports, scenario.Setup.Backends);
            }

            var passed = settings.Agents > 1 && settings.AgentIndex is null
                ? await Agents.LocalAgents.RunAsync(scenario, settings, interrupt)
                : await ScenarioRun.RunAsync(scenario, settings, interrupt);
            return passed ? LabExit.Passed : LabExit.Failed;
        });
        return command;
    }

    /// <summary>A file given with --file or as the name (it ends in .yaml, .yml or .json, or exists), else a scenario of the catalogue or of scenarios/.</summary>
    private static Scenario Choose(string? name, string? file)
    {
        if (file is not null && name is not null)
        {
            throw new ArgumentException($"give a scenario name or --file, not both ('{name}' and --file {file}).");
        }

        var path = file ?? (name is not null && (Catalogue.IsScenarioFile(name) || File.Exists(name)) ? name : null);
        if (path is not null)
        {
            return File.Exists(path) ? ScenarioFile.Load(path) : throw new ArgumentException($"no scenario file '{path}'.");
        }

        if (name is null)
        {
            throw new ArgumentException("name a scenario ('lab scenarios' lists them) or give --file PATH.");
        }

        return Catalogue.All.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"no scenario '{name}'; 'lab scenarios' lists them.");
    }

    public static Command List()
    {
        var command = new Command("scenarios", "List the scenarios (built in, and the files in scenarios/): what each shows, its load and what it asserts.");
        command.SetAction(_ =>
        {
            foreach (var scenario in Catalogue.All)
            {
                Console.WriteLine($"{scenario.Name,-20} {scenario.Purpose}");
                var asserts = scenario.Thresholds.Count + scenario.Expectations.Count == 0 ? "nothing (no thresholds)"
                    : string.Join(", ", scenario.Thresholds.Select(t => t.Text).Concat(scenario.Expectations.Select(e => e.Text)));
                var from = scenario.SourceFile is { } source ? $"; from {Path.GetRelativePath(LabPaths.RepositoryRoot, source)}" : "";
                Console.WriteLine($"{"",-20} load: {scenario.Simulation.Describe()}{(scenario.Timeline.Count > 0 ? $"; timeline: {string.Join(", ", scenario.Timeline.Select(e => $"{e.At.TotalSeconds:0.#}s {e.Text}"))}" : "")}; asserts: {asserts}{from}");
            }
        });
        return command;
    }

    public static Command Ci(CancellationToken interrupt)
    {
        var run = new RunOptions();
        var command = new Command("ci", "The short CI set of scenarios (under a minute and a half); exit 1 on any failure.");
        run.AddTo(command, withLoad: false);
        command.SetAction(async parse =>
        {
            var root = parse.GetValue(run.ReportDirectory) ?? LabPaths.NewRunDirectory("ci");
            var settings = await run.SettingsAsync(parse, "ci", root, interrupt);
            var verdicts = await RunCiAsync(settings, interrupt);
            return verdicts.All(v => v.Passed) ? LabExit.Passed : LabExit.Failed;
        });
        return command;
    }

    /// <summary>The CI set, each scenario in a folder of its own under the settings' report directory.</summary>
    public static async Task<List<(string Name, bool Passed)>> RunCiAsync(RunSettings settings, CancellationToken interrupt)
    {
        var verdicts = new List<(string Name, bool Passed)>();
        foreach (var (name, duration) in Catalogue.CiSet)
        {
            interrupt.ThrowIfCancellationRequested();
            var scenario = Catalogue.Find(name)!;
            ScenarioRun.RequirePortsFree(settings.Ports, scenario.Setup.Backends);
            verdicts.Add((name, await ScenarioRun.RunAsync(scenario, settings with { Duration = duration, ReportDirectory = Path.Combine(settings.ReportDirectory, name) }, interrupt)));
        }

        Console.WriteLine();
        foreach (var (name, passed) in verdicts)
        {
            Console.WriteLine($"scenario {name}: {(passed ? "passed" : "FAILED")}");
        }

        return verdicts;
    }

    /// <summary>The options of a run; the load ones only where a scenario is chosen.</summary>
    private sealed class RunOptions
    {
        private readonly Option<double?> _duration = new("--duration") { Description = "Measured phase in seconds (the scenario's own by default)." };
        private readonly Option<double?> _rate = new("--rate") { Description = "Open model: this many requests per second." };
        private readonly Option<int?> _users = new("--users") { Description = "Closed model: this many concurrent users." };
        private readonly Option<double?> _warmUp = new("--warmup") { Description = "Warm-up in seconds before measuring, excluded from the results (default 2)." };
        private readonly Option<string[]> _thresholds = new("--threshold") { Description = "Add a threshold, e.g. p99<20ms, errors<0.1%, spread<=1, rps>=5000 (repeatable)." };
        private readonly Option<string[]> _proxyArgs = new("--proxy-arg") { Description = "A proxy flag or value after the scenario's own, the later winning (repeatable; e.g. --proxy-arg=--max-fails --proxy-arg=1000 to see a scenario fail without ejection)." };
        private readonly Option<string?> _target = new("--target") { Description = "Load an existing URL instead of starting the fleet and the proxy." };
        private readonly Option<string?> _proxy = LabOptions.Proxy();
        private readonly Option<int> _proxyPort = LabOptions.ProxyPort();
        private readonly Option<int> _adminPort = LabOptions.AdminPort();
        private readonly Option<int> _backendBasePort = LabOptions.BackendBasePort();

        public Option<string?> ReportDirectory { get; } = new("--report-dir") { Description = "Where the reports go (default results/<time>-<name>)." };

        public void AddTo(Command command, bool withLoad)
        {
            if (withLoad)
            {
                foreach (var option in new Option[] { _duration, _rate, _users, _warmUp, _thresholds, _target, _proxyArgs })
                {
                    command.Options.Add(option);
                }
            }

            foreach (var option in new Option[] { ReportDirectory, _proxy, _proxyPort, _adminPort, _backendBasePort })
            {
                command.Options.Add(option);
            }
        }

        public async Task<RunSettings> SettingsAsync(ParseResult parse, string name, string? reportDirectory, CancellationToken interrupt)
        {
            var target = parse.GetValue(_target) is { } text
                ? Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url : throw new ArgumentException($"--target: '{text}' is not an absolute http:// or https:// URL.")
                : null;
            return new RunSettings
            {
                Target = target,
                Duration = Seconds(parse.GetValue(_duration), "--duration"),
                Rate = parse.GetValue(_rate) is { } rate ? Positive(rate, "--rate") : null,
                Users = parse.GetValue(_users) is { } users ? (int)Positive(users, "--users") : null,
                WarmUp = Seconds(parse.GetValue(_warmUp), "--warmup"),
                ExtraThresholds = [.. (parse.GetValue(_thresholds) ?? []).Select(ParseThreshold)],
                ExtraProxyArgs = parse.GetValue(_proxyArgs) ?? [],
                Ports = new LabPorts(parse.GetValue(_proxyPort), parse.GetValue(_adminPort), parse.GetValue(_backendBasePort)),
                // Against an external target no proxy runs: nothing to publish.
                ProxyBinary = target is null ? await ProxyPublisher.ResolveAsync(parse.GetValue(_proxy), interrupt) : "",
                ReportDirectory = reportDirectory ?? parse.GetValue(ReportDirectory) ?? LabPaths.NewRunDirectory(name),
            };
        }

        private static TimeSpan? Seconds(double? value, string option) => value is { } seconds ? TimeSpan.FromSeconds(Positive(seconds, option)) : null;

        private static double Positive(double value, string option) =>
            value > 0 ? value : throw new ArgumentException($"{option}: '{value.ToString(CultureInfo.InvariantCulture)}' is not a positive number.");

        private static Threshold ParseThreshold(string text)
        {
            var threshold = Threshold.Parse(text, "given on the command line");
            return Threshold.IsStandard(threshold.Metric)
                ? threshold
                : throw new ArgumentException($"threshold '{text}': unknown metric '{threshold.Metric}'; known: {string.Join(", ", Threshold.Metrics.Keys)}, errors (as a count without %), p75..p9999, status200..status599.");
        }
    }
}
