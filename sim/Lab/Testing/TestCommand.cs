using System.CommandLine;
using RoundRobinLab.Harness;
using RoundRobinLab.Lab.Cli;
using RoundRobinLab.Lab.Processes;
using RoundRobinLab.Lab.Scenarios;
using RoundRobinLab.Lab.Toolchain;
using RoundRobinLab.Scenarios.Scenarios;

namespace RoundRobinLab.Lab.Testing;

/// <summary>
/// `lab test`: the unit and integration tests, a Native AOT publish of the proxy (zero warnings),
/// smoke tests of the published binary and the CI scenarios against it, counted together. Ends
/// with one line: "N passed, M failed". Expects the solution built (./run-lab.sh test builds it).
/// </summary>
internal static class TestCommand
{
    public static Command Create(CancellationToken interrupt)
    {
        var command = new Command("test", "Unit and integration tests, a Native AOT publish of the proxy (zero warnings), smoke tests of the published binary, and the CI scenarios against it. Ends with one line: \"N passed, M failed\". Run through ./run-lab.sh test, which builds the solution first.");
        command.SetAction(async _ =>
        {
            var tally = new Tally();
            var results = Directory.CreateDirectory(LabPaths.Results).FullName;
            await TestsAsync(tally, "unit", "Category!=Smoke", null, results, interrupt);
            Step("Native AOT publish of the proxy");
            var publish = await ProxyPublisher.PublishAsync(interrupt);
            tally.Add(publish.Succeeded ? 1 : 0, publish.Succeeded ? 0 : 1);
            if (publish.Succeeded)
            {
                await TestsAsync(tally, "smoke", "Category=Smoke", new Dictionary<string, string> { ["LAB_PROXY_BINARY"] = LabPaths.ProxyBinary }, results, interrupt);
                await ScenariosAsync(tally, results, interrupt);
            }
            else
            {
                Console.Error.WriteLine(publish.Message);
            }

            Console.WriteLine($"{tally.Passed} passed, {tally.Failed} failed");
            return tally.Failed == 0 && tally.Passed > 0 ? LabExit.Passed : LabExit.Failed;
        });
        return command;
    }

    /// <summary>One `dotnet test` per test project (one at a time: the timing tests share two cores with nothing else), counted from its TRX file.</summary>
    private static async Task TestsAsync(Tally tally, string label, string filter, IReadOnlyDictionary<string, string>? environment, string results, CancellationToken interrupt)
    {
        var projects = Directory.GetFiles(Path.Combine(LabPaths.RepositoryRoot, "tests"), "*.Tests.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        var trxDirectory = Path.Combine(results, "test-results", label);
        if (Directory.Exists(trxDirectory))
        {
            Directory.Delete(trxDirectory, recursive: true);
        }

        foreach (var project in projects)
        {
            var name = Path.GetFileNameWithoutExtension(project);
            Step($"Tests ({label}): {name}");
            var log = Path.Combine(results, $"test-{label}-{name}.log");
            var trx = Path.Combine(trxDirectory, $"{name}.trx");
            var (exitCode, _) = await ExternalProcess.RunAsync("dotnet",
                ["test", project, "-c", "Release", "--no-build", "--filter", filter, "--logger", $"trx;LogFileName={trx}"],
                interrupt, logFile: log, environment: environment);
            if (!File.Exists(trx))
            {
                // No TRX: no test matched the filter (exit 0), or the run never started (a failure).
                if (exitCode != 0)
                {
                    Console.Error.WriteLine($"  {name}: ended with {exitCode} and no results; see {log}");
                    tally.Add(0, 1);
                }

                continue;
            }

            var outcome = TrxResults.Read(trx);
            foreach (var (test, message) in outcome.Failures)
            {
                Console.Error.WriteLine($"  Failed {test}: {message}");
            }

            if (exitCode != 0 && outcome.Failed == 0)
            {
                Console.Error.WriteLine($"  {name}: ended with {exitCode} although no test failed; see {log}");
                tally.Add(0, 1);
            }

            Console.Error.WriteLine($"  {name}: {outcome.Passed} passed, {outcome.Failed} failed, {outcome.Skipped} skipped");
            tally.Add(outcome.Passed, outcome.Failed);
        }
    }

    /// <summary>The CI scenarios against the published binary, each counted as one test.</summary>
    private static async Task ScenariosAsync(Tally tally, string results, CancellationToken interrupt)
    {
        Step("Scenarios: the CI set against the published binary");
        var settings = new RunSettings { ProxyBinary = LabPaths.ProxyBinary, ReportDirectory = Path.Combine(results, "ci-scenarios") };
        var log = Path.Combine(results, "test-scenarios.log");
        var console = Console.Out;
        try
        {
            // The scenarios' progress and reports go to a log; their verdicts come back as values.
            await using var writer = new StreamWriter(log) { AutoFlush = true };
            Console.SetOut(writer);
            var verdicts = await ScenarioCommands.RunCiAsync(settings, interrupt);
            // The same load from three agent processes, merged: the path a multi-machine run takes.
            var agents = settings with { Agents = 3, Duration = TimeSpan.FromSeconds(3), ReportDirectory = Path.Combine(settings.ReportDirectory, "steady-3-agents") };
            verdicts.Add(("steady --agents 3", await Agents.LocalAgents.RunAsync(Catalogue.Find("steady")!, agents, interrupt)));
            // A scenario written as a file: a network fault on a timeline, judged by its expectations.
            var faultFile = RoundRobinLab.Scenarios.Files.ScenarioFile.Load(Path.Combine(LabPaths.RepositoryRoot, "scenarios", "reset-mid-body.yaml"));
            verdicts.Add(("reset-mid-body (scenarios/reset-mid-body.yaml)", await ScenarioRun.RunAsync(faultFile, settings with { ReportDirectory = Path.Combine(settings.ReportDirectory, faultFile.Name) }, interrupt)));
            foreach (var (name, passed) in verdicts)
            {
                Console.Error.WriteLine($"  scenario {name}: {(passed ? "passed" : "FAILED")}");
                tally.Add(passed ? 1 : 0, passed ? 0 : 1);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or ArgumentException or FileNotFoundException or FormatException)
        {
            Console.Error.WriteLine($"  the CI scenarios did not finish: {e.Message}; see {log}");
            tally.Add(0, 1);
        }
        finally
        {
            // Verdicts and failures go to stderr; stdout is the console again for the totals line.
            Console.SetOut(console);
        }
    }

    private static void Step(string text) => Console.Error.WriteLine($"==> {text}");

    private sealed class Tally
    {
        public int Passed { get; private set; }

        public int Failed { get; private set; }

        public void Add(int passed, int failed)
        {
            Passed += passed;
            Failed += failed;
        }
    }
}
