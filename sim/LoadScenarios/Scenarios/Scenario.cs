using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Expectations;
using RoundRobinLab.Scenarios.Lab;
using RoundRobinLab.Scenarios.Thresholds;

namespace RoundRobinLab.Scenarios.Scenarios;

/// <summary>
/// A named experiment: the fleet and proxy it needs, the load it applies, what it does during
/// the run, and the thresholds (each with its reason) that decide whether it passed.
/// </summary>
public sealed record Scenario
{
    public required string Name { get; init; }

    /// <summary>One line: what the scenario shows.</summary>
    public required string Purpose { get; init; }

    public LabSetup Setup { get; init; } = new();

    public required LoadSimulation Simulation { get; init; }

    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(2);

    public RequestMix Requests { get; init; } = _ => RequestSpec.Get();

    public bool NewConnectionPerRequest { get; init; }

    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Things to do during the measured phase, given the running lab.</summary>
    public Func<LabEnvironment, IReadOnlyList<TimedAction>> Actions { get; init; } = _ => [];

    /// <summary>
    /// Events at moments of the measured phase (toxics on the fleet's relays, down, up, drain), each
    /// recorded as a RunEvent; toxics turn <see cref="LabSetup.NetworkFaults"/> on.
    /// </summary>
    public IReadOnlyList<Timeline.TimelineEvent> Timeline { get; init; } = [];

    /// <summary>What must happen around the timeline's events, judged on what was measured over time.</summary>
    public IReadOnlyList<Expectation> Expectations { get; init; } = [];

    /// <summary>The file the scenario was read from; null for the built-in ones.</summary>
    public string? SourceFile { get; init; }

    /// <summary>Backends that should share the load evenly (default: all).</summary>
    public IReadOnlyList<string>? EvenAmong { get; init; }

    /// <summary>Metrics of its own, computed from the result, that its thresholds can name.</summary>
    public Func<ScenarioResult, Dictionary<string, double>> ExtraMetrics { get; init; } = _ => [];

    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>The HTTP version the load asks for (2.0 with a TLS setup).</summary>
    public Version HttpVersion { get; init; } = System.Net.HttpVersion.Version11;

    /// <summary>When above 0: this many WebSocket sessions (see <see cref="WebSocketRunner"/>) instead of the load simulation.</summary>
    public int WebSocketSessions { get; init; }

    /// <summary>WebSocket sessions open at a time.</summary>
    public int WebSocketConcurrency { get; init; } = 8;
}
