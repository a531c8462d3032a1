using RoundRobinLab.Harness;
using RoundRobinLab.Scenarios.Reports;
using RoundRobinLab.Scenarios.Scenarios;

namespace RoundRobinLab.Lab.Scenarios;

/// <summary>One scenario run: progress on the console, then report.json, report.md and report.html.</summary>
internal static class ScenarioRun
{
    public static async Task<bool> RunAsync(Scenario scenario, RunSettings settings, CancellationToken cancellationToken)
    {
        Console.WriteLine($"== {scenario.Name}: {scenario.Purpose}");
        var console = new ConsoleReport();
        var result = await ScenarioRunner.RunAsync(scenario, settings, console, cancellationToken);
        console.Finish();
        return await WriteReportsAsync(result, settings.ReportDirectory, cancellationToken);
    }

    /// <summary>report.json, report.md and report.html of a run (or of a merge), the summary on the console; whether it passed.</summary>
    public static async Task<bool> WriteReportsAsync(ScenarioResult result, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var report = ReportModel.From(result);
        await File.WriteAllTextAsync(Path.Combine(directory, "report.json"), report.ToJson(), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, "report.md"), MarkdownReport.Render(report), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, "report.html"), HtmlReport.Render(report), cancellationToken);
        ConsoleReport.Summary(report, directory);
        return report.Passed;
    }

    /// <summary>Refuses to start when a well-known port is taken, naming the option that moves it.</summary>
    public static void RequirePortsFree(LabPorts ports, int backends)
    {
        var wanted = new List<(int Port, string Option)> { (ports.ProxyPort, "--proxy-port"), (ports.AdminPort, "--admin-port") };
        wanted.AddRange(Enumerable.Range(ports.BackendBasePort, backends).Select(port => (port, "--backend-base-port")));
        foreach (var (port, option) in wanted)
        {
            if (!FreePort.IsFree(port))
            {
                throw new ArgumentException($"port {port} is in use on 127.0.0.1; free it or choose another with {option}.");
            }
        }
    }
}
