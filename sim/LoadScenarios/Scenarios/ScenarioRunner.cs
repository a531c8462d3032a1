using RoundRobinLab.Harness;
using RoundRobinLab.Scenarios.Analysis;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Expectations;
using RoundRobinLab.Scenarios.Histograms;
using RoundRobinLab.Scenarios.Lab;
using RoundRobinLab.Scenarios.Thresholds;

namespace RoundRobinLab.Scenarios.Scenarios;

/// <summary>What the command line can change about a scenario.</summary>
public sealed record RunSettings
{
    /// <summary>Run against this URL instead of starting a fleet and the proxy (no backend-side counts then).</summary>
    public Uri? Target { get; init; }

    public TimeSpan? Duration { get; init; }

    public double? Rate { get; init; }

    public int? Users { get; init; }

    public TimeSpan? WarmUp { get; init; }

    public IReadOnlyList<Threshold> ExtraThresholds { get; init; } = [];

    /// <summary>Proxy flags after the scenario's own (the later flag wins): to see a scenario fail without a protection, e.g. --max-fails 1000.</summary>
    public IReadOnlyList<string> ExtraProxyArgs { get; init; } = [];

    public LabPorts Ports { get; init; } = new();

    public required string ProxyBinary { get; init; }

    public required string ReportDirectory { get; init; }

    /// <summary>This run is agent AgentIndex (0-based) of Agents: it sends its segment of the load and judges nothing (the merge does).</summary>
    public int Agents { get; init; } = 1;

    public int? AgentIndex { get; init; }

    /// <summary>An agent starts at this moment (UTC), so that every agent's seconds are the same seconds.</summary>
    public DateTimeOffset? StartAt { get; init; }
}

public static class ScenarioRunner
{
    /// <summary>Applies the command line's overrides: --rate makes the load open, --users closed.</summary>
    public static Scenario WithSettings(Scenario scenario, RunSettings settings)
    {
        var duration = settings.Duration ?? scenario.Simulation.Duration;
        LoadSimulation simulation = (settings.Rate, settings.Users, scenario.Simulation) switch
        {
            ({ } rate, _, _) => LoadSimulation.Rate(rate, duration),
            (_, { } users, _) => LoadSimulation.Users(users, duration),
            (_, _, LoadSimulation.Open open) => open with { Duration = duration },
            (_, _, LoadSimulation.Closed closed) => closed with { Duration = duration },
            _ => scenario.Simulation,
        };
        return scenario with
        {
            Simulation = settings.AgentIndex is { } index ? simulation.Segment(index, settings.Agents) : simulation,
            WarmUp = settings.WarmUp ?? scenario.WarmUp,
            Setup = settings.ExtraProxyArgs.Count == 0 ? scenario.Setup : scenario.Setup with { ProxyArgs = [.. scenario.Setup.ProxyArgs, .. settings.ExtraProxyArgs] },
            // An agent's segment is not the load the thresholds were written for: they are evaluated once, on the merge.
            Thresholds = settings.AgentIndex is null ? [.. scenario.Thresholds, .. settings.ExtraThresholds] : [],
            Expectations = settings.AgentIndex is null ? scenario.Expectations : [],
        };
    }

    /// <summary>The binary message of each WebSocket session: 200 KiB, several frames' worth.</summary>
    private const int WebSocketBinaryBytes = 200 * 1024;

    public static async Task<ScenarioResult> RunAsync(Scenario scenario, RunSettings settings, IProgress<Progress>? progress, CancellationToken cancellationToken)
    {
        scenario = WithSettings(scenario, settings);
        Directory.CreateDirectory(settings.ReportDirectory);
        if (settings.AgentIndex is not null && settings.Target is null)
        {
            throw new ArgumentException("an agent loads a shared target: give --target URL (or run --agents N without --agent-index to have the lab start the target and the agents).");
        }

        if (settings.StartAt is { } startAt)
        {
            var wait = startAt - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.FromHours(1))
            {
                throw new ArgumentException($"--start-at {startAt:O} is more than an hour away.");
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken);
            }
        }

        var started = DateTimeOffset.UtcNow;
        if (settings.Target is { } external)
        {
            var outcome = await LoadRunner.RunAsync(Options(scenario, external, [], settings.ReportDirectory), progress, cancellationToken);
            return Finish(scenario, new ScenarioResult
            {
                Scenario = scenario.Name,
                Purpose = scenario.Purpose,
                Load = scenario.Simulation.Describe(),
                Target = external.ToString(),
                Started = started,
                Outcome = outcome,
                Client = Distribution.Of(outcome.BackendsAllPhases, outcome.BackendsAllPhases.Keys),
            });
        }

        var proxyLog = Path.Combine(settings.ReportDirectory, "proxy.log");
        ScenarioResult result;
        await using (var lab = await LabEnvironment.StartAsync(SetupFor(scenario), settings.Ports, settings.ProxyBinary, proxyLog))
        {
            result = await RunInLabAsync(scenario, lab, settings.ReportDirectory, started, progress, cancellationToken);
        }

        return Finish(scenario, result);
    }

    private static async Task<ScenarioResult> RunInLabAsync(Scenario scenario, LabEnvironment lab, string reportDirectory, DateTimeOffset started, IProgress<Progress>? progress, CancellationToken cancellationToken)
    {
        // Only a scenario that judges the run over time pays for the /stats poller.
        var watch = scenario.Expectations.Count > 0 || scenario.Timeline.Count > 0;
        await using var poller = watch ? new ProxyStatsPoller(lab) : null;
        var actions = ActionsFor(scenario, lab);
        var outcome = scenario.WebSocketSessions > 0
            ? await WebSocketRunner.RunAsync(lab.Proxy.ProxyAddress, scenario.WebSocketSessions, scenario.WebSocketConcurrency, WebSocketBinaryBytes, cancellationToken)
            : await LoadRunner.RunAsync(Options(scenario, lab.Proxy.ProxyAddress, actions, reportDirectory, lab.CertificateThumbprint) with { MeasuringStarted = poller is null ? null : poller.MeasuringStarted },
                progress, cancellationToken);
        var rotation = poller is null ? [] : await poller.StopAsync();
        var intervalLog = Path.Combine(reportDirectory, "latency.hlog");
        var even = scenario.EvenAmong ?? [.. lab.Fleet.Backends.Select(b => b.Id)];
        return new ScenarioResult
        {
            Scenario = scenario.Name,
            Purpose = scenario.Purpose,
            Load = scenario.WebSocketSessions > 0
                ? $"{scenario.WebSocketSessions} WebSocket sessions, {scenario.WebSocketConcurrency} at a time, each a text and a {WebSocketBinaryBytes / 1024} KiB binary message echoed"
                : scenario.Simulation.Describe() + (scenario.NewConnectionPerRequest ? ", a new connection per request" : ", keep-alive")
                    + (scenario.Setup.Tls ? $", HTTPS with HTTP/{scenario.HttpVersion.ToString(scenario.HttpVersion.Minor == 0 ? 1 : 2)}" : ""),
            Target = lab.Proxy.ProxyAddress.ToString(),
            Started = started,
            Outcome = outcome,
            Client = Distribution.Of(outcome.BackendsAllPhases.Where(b => even.Contains(b.Key)).ToDictionary(), even,
                scenario.Setup.Weights is { } weights ? lab.Fleet.Backends.Select((b, i) => (b.Id, weights[i])).ToDictionary() : null),
            Backends = lab.Fleet.ReceivedCounts(),
            Proxy = await lab.ProxyCountsAsync(),
            ProxyRotationChanges = await lab.ProxyRotationChangesAsync(),
            Rotation = rotation,
            BackendLatency = watch && File.Exists(intervalLog) ? BackendIntervals(intervalLog) : [],
        };
    }

    /// <summary>The lab the scenario needs: with the relays in front of the backends when its timeline sets toxics.</summary>
    public static LabSetup SetupFor(Scenario scenario) =>
        scenario.Timeline.Any(e => e.Command.NeedsRelays) ? scenario.Setup with { NetworkFaults = true } : scenario.Setup;

    /// <summary>The scenario's own actions and its timeline's events, each recorded as a RunEvent when it runs.</summary>
    public static IReadOnlyList<TimedAction> ActionsFor(Scenario scenario, LabEnvironment lab) =>
        [.. scenario.Actions(lab), .. scenario.Timeline.Select(e => new TimedAction(e.At, e.Label, () => e.Command.RunAsync(lab)))];

    internal static ScenarioResult Finish(Scenario scenario, ScenarioResult result)
    {
        result.Metrics = ScenarioMetrics.Compute(result);

        foreach (var (name, value) in scenario.ExtraMetrics(result))
        {
            result.Metrics[name] = value;
        }

        result.Thresholds = [.. scenario.Thresholds.Select(t => t.Evaluate(result.Metrics))];
        var record = RecordOf(scenario, result);
        result.Expectations = [.. scenario.Expectations.Select(e => e.Evaluate(record))];
        return result;
    }

    /// <summary>What the expectations read: the named events at the moments they ran, and the run's measurements over time.</summary>
    internal static RunRecord RecordOf(Scenario scenario, ScenarioResult result) => new()
    {
        Events = scenario.Timeline.Where(e => e.Name is not null)
            .Select(e => (e.Name!, Ran: result.Outcome.Events.FirstOrDefault(r => r.Label == e.Label)))
            .Where(e => e.Ran is not null).ToDictionary(e => e.Item1, e => e.Ran!.Second),
        Timeline = result.Outcome.Timeline,
        Rotation = result.Rotation,
        Latency = result.BackendLatency,
    };

    /// <summary>The interval log's tagged lines ("b1/2xx"), one per backend, status class and second.</summary>
    internal static List<BackendInterval> BackendIntervals(string intervalLog) =>
        [.. HlogReader.Read(intervalLog).Where(i => i.Tag is not null)
            .Select(i => new BackendInterval(i.Start.TotalSeconds, i.Length.TotalSeconds, i.Tag![..i.Tag!.LastIndexOf('/')], i.Histogram))];

    private static LoadOptions Options(Scenario scenario, Uri target, IReadOnlyList<TimedAction> actions, string reportDirectory, string? trustedThumbprint = null) => new()
    {
        IntervalLog = Path.Combine(reportDirectory, "latency.hlog"),
        Target = target,
        HttpVersion = scenario.HttpVersion,
        TrustedThumbprint = trustedThumbprint,
        Simulation = scenario.Simulation,
        WarmUp = scenario.WarmUp,
        Requests = scenario.Requests,
        NewConnectionPerRequest = scenario.NewConnectionPerRequest,
        ClientTimeout = scenario.ClientTimeout,
        Actions = actions,
        // A bound whatever the simulation says: twice what the lean client's fastest runs here
        // (about 100k req/s against the lean backend) would send in this time, so it ends no run early.
        MaxRequests = (long)((scenario.WarmUp + scenario.Simulation.Duration).TotalSeconds * 200_000),
    };
}
