namespace RoundRobinLab.Scenarios.Engine;

/// <summary>Something a scenario does at a moment of its measured phase (take a backend down, ...).</summary>
public sealed record TimedAction(TimeSpan At, string Label, Func<Task> Action)
{
    /// <summary>
    /// Runs the action after <paramref name="delay"/> (its moment, from wherever the caller's clock
    /// stands) and records it as an event at the measured-phase second <paramref name="now"/> gives
    /// then. A run that ends first (<paramref name="stop"/>) skips it.
    /// </summary>
    public async Task RunAsync(TimeSpan delay, Func<double> now, System.Collections.Concurrent.ConcurrentQueue<RunEvent> events, CancellationToken stop)
    {
        try
        {
            await Task.Delay(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, stop);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var at = Math.Round(now(), 2);
        await Action();
        events.Enqueue(new RunEvent(at, Label));
    }
}

public sealed record LoadOptions
{
    public required Uri Target { get; init; }

    public required LoadSimulation Simulation { get; init; }

    /// <summary>Load at the simulation's starting level first, excluded from the results.</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A hard bound on requests sent, warm-up included, whatever the simulation asks.</summary>
    public long MaxRequests { get; init; } = 2_000_000;

    public RequestMix Requests { get; init; } = _ => RequestSpec.Get();

    /// <summary>Close the connection after every request (Connection: close) instead of keeping it alive.</summary>
    public bool NewConnectionPerRequest { get; init; }

    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Open model: at most this many requests in flight; the rest wait, and their wait counts as latency.</summary>
    public int MaxInFlight { get; init; } = 4096;

    public IReadOnlyList<TimedAction> Actions { get; init; } = [];

    /// <summary>Called as the measured phase starts, before the actions: others' clocks (the /stats poller's) can start from the same moment.</summary>
    public Action? MeasuringStarted { get; init; }

    /// <summary>The HTTP version every request asks for, exactly (2.0 needs an https:// target: ALPN).</summary>
    public Version HttpVersion { get; init; } = System.Net.HttpVersion.Version11;

    /// <summary>Where to write the measured phase's latencies as an HdrHistogram interval log (.hlog), one interval a second; null: nowhere.</summary>
    public string? IntervalLog { get; init; }

    /// <summary>For an https:// target with its own certificate: the one certificate (by thumbprint) to trust.</summary>
    public string? TrustedThumbprint { get; init; }
}
