using System.Collections.Concurrent;
using System.Diagnostics;
using RoundRobinLab.Scenarios.Engine.Http;

namespace RoundRobinLab.Scenarios.Engine;

/// <summary>
/// Runs a load simulation against a target and records what comes back. Every run is bounded in
/// time (warm-up + duration + client timeout to drain) and in request count.
/// </summary>
public static class LoadRunner
{
    public static Task<RunOutcome> RunAsync(LoadOptions options, IProgress<Progress>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(options, stop => HttpTransports.For(options, stop), progress, cancellationToken);

    /// <summary>
    /// The run, step by step:
    /// 1. the warm-up at the simulation's starting level, answers not recorded;
    /// 2. the measured phase, with the scenario's actions at their moments;
    /// 3. the drain: the last answers, at most a client timeout, what is left counts as timed out;
    /// 4. the sampler's last interval merged, the outcome built, everything still open cancelled.
    /// </summary>
    internal static async Task<RunOutcome> RunAsync(LoadOptions options, Func<CancellationToken, IHttpTransport> transports, IProgress<Progress>? progress, CancellationToken cancellationToken)
    {
        var recorder = new ResponseRecorder();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var transport = transports(stop.Token);
        var sender = new RequestSender(options, recorder);
        var clock = Stopwatch.StartNew();
        await using var sampler = new TimelineSampler(recorder, () => clock.Elapsed, options.WarmUp + options.Simulation.Duration, () => sender.InFlight, progress, options.IntervalLog);
        var events = new ConcurrentQueue<RunEvent>();
        sampler.Start();
        try
        {
            if (options.WarmUp > TimeSpan.Zero)
            {
                await RunPhaseAsync(WarmUpOf(options.Simulation, options.WarmUp), options, sender, transport, stop.Token);
            }

            var measuredStart = sampler.StartMeasuring();
            options.MeasuringStarted?.Invoke();
            var actions = options.Actions.Select(a => a.RunAsync(a.At, () => (clock.Elapsed - measuredStart).TotalSeconds, events, stop.Token)).ToArray();
            await RunPhaseAsync(options.Simulation, options, sender, transport, stop.Token);
            // The rate is over the time the load was applied; draining the last answers is not part of it.
            var measured = clock.Elapsed - measuredStart;
            await sender.DrainAsync(options.ClientTimeout);
            var (latency, timeline) = await sampler.FinishAsync();
            await Task.WhenAll(actions);
            return new RunOutcome
            {
                Latency = latency,
                Measured = measured,
                Completed = recorder.Completed,
                Bytes = recorder.Bytes,
                Errors = Enum.GetValues<ErrorKind>().ToDictionary(k => k, recorder.Errors),
                StatusCodes = recorder.StatusCodes(),
                BackendsAllPhases = recorder.BackendsAllPhases(),
                Timeline = timeline,
                Events = [.. events.OrderBy(e => e.Second)],
            };
        }
        finally
        {
            await stop.CancelAsync();
        }
    }

    private static Task RunPhaseAsync(LoadSimulation simulation, LoadOptions options, RequestSender sender, IHttpTransport transport, CancellationToken stop) => simulation switch
    {
        LoadSimulation.Open open => new OpenModelDispatcher(open, options.MaxInFlight, sender, transport.Shared, stop).RunAsync(),
        LoadSimulation.Closed closed => new ClosedModelUsers(closed, sender, transport, stop).RunAsync(),
        _ => throw new ArgumentOutOfRangeException(nameof(simulation)),
    };

    private static LoadSimulation WarmUpOf(LoadSimulation simulation, TimeSpan warmUp) => simulation switch
    {
        // `with`: an agent's warm-up keeps its segment of the load (its offset and stride).
        LoadSimulation.Open open => open with { To = open.From, Duration = warmUp },
        LoadSimulation.Closed closed => LoadSimulation.Users(Math.Max(1, closed.From), warmUp),
        _ => throw new ArgumentOutOfRangeException(nameof(simulation)),
    };
}
