using System.CommandLine;
using RoundRobinLab.Harness;
using RoundRobinLab.Lab.Cli;
using RoundRobinLab.Lab.Processes;

namespace RoundRobinLab.Lab.Bench;

/// <summary>`lab bench`: the BenchmarkDotNet microbenchmarks (short job), their GitHub tables printed at the end.</summary>
internal static class BenchCommand
{
    public static Command Create(CancellationToken interrupt)
    {
        var filter = new Option<string>("--filter") { Description = "BenchmarkDotNet's filter, e.g. '*BackendPool*'.", DefaultValueFactory = _ => "*" };
        var command = new Command("bench", "BenchmarkDotNet microbenchmarks of the selector and the forwarding path (short job); results in results/bench.") { filter };
        command.SetAction(async parse =>
        {
            var artifacts = Path.Combine(LabPaths.Results, "bench");
            var started = DateTime.UtcNow;
            Console.Error.WriteLine($"==> BenchmarkDotNet, short job: results to {artifacts}");
            // BenchmarkDotNet builds and runs the benchmarks in processes of its own: it needs the
            // project, not a build of it, and shows its progress as it goes.
            var (exitCode, _) = await ExternalProcess.RunAsync("dotnet",
                ["run", "-c", "Release", "--project", Path.Combine(LabPaths.RepositoryRoot, "bench", "Proxy.Aot.Benchmarks"), "--",
                 "--filter", parse.GetValue(filter)!, "--job", "short", "--exporters", "github", "--artifacts", artifacts],
                interrupt, echo: true);
            var results = Path.Combine(artifacts, "results");
            // This run's tables only: the folder keeps earlier runs' too.
            foreach (var table in Directory.Exists(results) ? Directory.GetFiles(results, "*-report-github.md").Where(f => File.GetLastWriteTimeUtc(f) >= started).Order(StringComparer.Ordinal).ToArray() : [])
            {
                Console.WriteLine(await File.ReadAllTextAsync(table, interrupt));
            }

            return exitCode == 0 ? LabExit.Passed : LabExit.Failed;
        });
        return command;
    }
}
