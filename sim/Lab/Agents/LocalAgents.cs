using System.Globalization;
using RoundRobinLab.Lab.Processes;
using RoundRobinLab.Lab.Scenarios;
using RoundRobinLab.Scenarios.Agents;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Lab;
using RoundRobinLab.Scenarios.Scenarios;

namespace RoundRobinLab.Lab.Agents;

/// <summary>
/// `lab scenario NAME --agents N`: the target (the fleet and the proxy, as for any run) here, N
/// agent processes of this lab each sending its segment of the load from a common start, the
/// scenario's actions here at their moments, then `lab merge`'s code on their results. The agents
/// run exactly as they would on N machines (a Kubernetes Indexed Job, deploy/kubernetes): the same
/// command, the same files, the same merge.
/// </summary>
internal static class LocalAgents
{
    /// <summary>Time for N agent processes to start before the common start.</summary>
    private static readonly TimeSpan s_startMargin = TimeSpan.FromSeconds(4);

    public static async Task<bool> RunAsync(Scenario scenario, RunSettings settings, CancellationToken interrupt)
    {
        if (scenario.WebSocketSessions > 0 || scenario.Setup.Tls)
        {
            throw new ArgumentException($"{scenario.Name}: --agents runs HTTP/1.1 scenarios over plain HTTP; this one is {(scenario.Setup.Tls ? "TLS" : "WebSocket")}.");
        }

        var effective = ScenarioRunner.WithSettings(scenario, settings);
        Directory.CreateDirectory(settings.ReportDirectory);
        LabEnvironment? lab = null;
        try
        {
            if (settings.Target is null)
            {
                lab = await LabEnvironment.StartAsync(ScenarioRunner.SetupFor(scenario), settings.Ports, settings.ProxyBinary, Path.Combine(settings.ReportDirectory, "proxy.log"));
            }

            var target = settings.Target ?? lab!.Proxy.ProxyAddress;
            var startAt = DateTimeOffset.UtcNow + s_startMargin;
            Console.WriteLine($"== {scenario.Name}: {settings.Agents} agents against {target}, starting at {startAt:HH:mm:ss.fff} UTC");
            var directories = Enumerable.Range(0, settings.Agents).Select(i => Path.Combine(settings.ReportDirectory, $"agent-{i}")).ToList();
            var processes = new List<ExternalProcess>();
            try
            {
                for (var i = 0; i < settings.Agents; i++)
                {
                    var (fileName, args) = LabSelf.Command(AgentArguments(effective, settings, i, startAt, target, directories[i]));
                    processes.Add(ExternalProcess.Start(fileName, args, Path.Combine(settings.ReportDirectory, $"agent-{i}.log")));
                }

                // The actions act on the target, which lives here: at their moments of the agents' measured phase.
                var measuredStart = startAt + effective.WarmUp;
                var events = new System.Collections.Concurrent.ConcurrentQueue<RunEvent>();
                var actions = lab is null ? [] : ScenarioRunner.ActionsFor(scenario, lab).Select(a => a.RunAsync(measuredStart + a.At - DateTimeOffset.UtcNow, () => (DateTimeOffset.UtcNow - measuredStart).TotalSeconds, events, interrupt)).ToArray();
                // Expectations judge the proxy's rotation over time: /stats sampled here, where the target is.
                await using var poller = lab is not null && (scenario.Expectations.Count > 0 || scenario.Timeline.Count > 0) ? new ProxyStatsPoller(lab) : null;
                var measuring = poller is null ? Task.CompletedTask : MarkMeasuredStartAsync(poller, measuredStart, interrupt);
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
                bound.CancelAfter(s_startMargin + effective.WarmUp + effective.Simulation.Duration + effective.ClientTimeout + TimeSpan.FromSeconds(60));
                for (var i = 0; i < processes.Count; i++)
                {
                    var exitCode = await processes[i].WaitAsync(bound.Token);
                    if (exitCode != 0)
                    {
                        throw new InvalidOperationException($"agent {i} ended with {exitCode}; see {Path.Combine(settings.ReportDirectory, $"agent-{i}.log")}");
                    }
                }

                await Task.WhenAll(actions);
                await measuring;
                var rotation = poller is null ? null : await poller.StopAsync();
                var counts = lab is null ? null : new TargetCounts(lab.Fleet.ReceivedCounts(), await lab.ProxyCountsAsync(), await lab.ProxyRotationChangesAsync(), [.. events.OrderBy(e => e.Second)], rotation);
                var merged = AgentMerge.Merge(effective, [.. directories.Select(AgentRun.Load)], counts);
                return await ScenarioRun.WriteReportsAsync(merged, settings.ReportDirectory, interrupt);
            }
            finally
            {
                foreach (var process in processes)
                {
                    await process.DisposeAsync();
                }
            }
        }
        finally
        {
            if (lab is not null)
            {
                await lab.DisposeAsync();
            }
        }
    }

    /// <summary>The agent's command line: the same scenario, the whole load's figures, its index, the common start.</summary>
    private static string[] AgentArguments(Scenario effective, RunSettings settings, int index, DateTimeOffset startAt, Uri target, string directory)
    {
        List<string> args =
        [
            // A scenario from a file goes to the agents as that file: they may not have it in their catalogue.
            "scenario", .. (effective.SourceFile is { } file ? ["--file", file] : new[] { effective.Name }),
            "--agents", Invariant(settings.Agents), "--agent-index", Invariant(index),
            "--start-at", startAt.ToString("O", CultureInfo.InvariantCulture), "--target", target.ToString(), "--report-dir", directory,
            "--duration", Invariant(effective.Simulation.Duration.TotalSeconds), "--warmup", Invariant(Math.Max(0.001, effective.WarmUp.TotalSeconds)),
        ];
        if (settings.Rate is { } rate)
        {
            args.AddRange(["--rate", Invariant(rate)]);
        }

        if (settings.Users is { } users)
        {
            args.AddRange(["--users", Invariant(users)]);
        }

        return [.. args];
    }

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static async Task MarkMeasuredStartAsync(ProxyStatsPoller poller, DateTimeOffset measuredStart, CancellationToken interrupt)
    {
        var wait = measuredStart - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, interrupt);
        }

        poller.MeasuringStarted();
    }
}
