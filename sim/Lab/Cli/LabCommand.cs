using System.CommandLine;
using RoundRobinLab.Lab.Agents;
using RoundRobinLab.Lab.Backends;
using RoundRobinLab.Lab.Bench;
using RoundRobinLab.Lab.Calibrate;
using RoundRobinLab.Lab.Compare;
using RoundRobinLab.Lab.Processes;
using RoundRobinLab.Lab.Scenarios;
using RoundRobinLab.Lab.Startup;
using RoundRobinLab.Lab.Testing;
using RoundRobinLab.Lab.Toolchain;

namespace RoundRobinLab.Lab.Cli;

/// <summary>The verbs of `lab`, and how their errors become exit codes.</summary>
internal static class LabCommand
{
    /// <summary>
    /// Ctrl-C is the lab's own (<see cref="Interrupt"/>): System.CommandLine would end the process
    /// two seconds after it, before the proxies and backends a run started are stopped.
    /// </summary>
    private static InvocationConfiguration Invocation { get; } = new() { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false };

    private static RootCommand Create(CancellationToken interrupt)
    {
        var root = new RootCommand("lab - the Round-Robin Lab: experiments, scenarios, the fake-backend fleet, comparisons with nginx and HAProxy, the engine's calibration, start-up footprint, microbenchmarks and the tests.")
        {
            ScenarioCommands.Experiment(interrupt),
            ScenarioCommands.Scenario(interrupt),
            ScenarioCommands.List(),
            ScenarioCommands.Ci(interrupt),
            MergeCommand.Create(interrupt),
            BackendsCommand.Create(interrupt),
            CompareCommand.Create(interrupt),
            CalibrateCommand.Create(interrupt),
            StartupCommand.Create(interrupt),
            BenchCommand.Create(interrupt),
            TestCommand.Create(interrupt),
            PublishCommand.Create(interrupt),
        };
        return root;
    }

    /// <summary>What parsing <paramref name="args"/> finds wrong, without running anything (the manifests' tests use it).</summary>
    internal static IReadOnlyList<string> ParseErrors(string[] args) => [.. Create(CancellationToken.None).Parse(args).Errors.Select(e => e.Message)];

    /// <summary>Parses and runs: bad input and missing tools become one line and exit 2; Ctrl-C exits 130.</summary>
    public static async Task<int> RunAsync(string[] args, CancellationToken interrupt)
    {
        var parse = Create(interrupt).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                Console.Error.WriteLine($"lab: {error.Message}");
            }

            Console.Error.WriteLine($"See 'lab {(parse.CommandResult.Command is RootCommand ? "" : parse.CommandResult.Command.Name + " ")}--help'.");
            return LabExit.Usage;
        }

        try
        {
            return await parse.InvokeAsync(Invocation, CancellationToken.None);
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            Console.Error.WriteLine($"lab {parse.CommandResult.Command.Name}: interrupted; what it started is stopped.");
            return LabExit.Interrupted;
        }
        catch (Exception e) when (e is ArgumentException or ToolMissingException or FileNotFoundException or IOException or InvalidOperationException or TimeoutException or FormatException)
        {
            Console.Error.WriteLine($"lab {parse.CommandResult.Command.Name}: {e.Message}");
            return LabExit.Usage;
        }
    }
}
