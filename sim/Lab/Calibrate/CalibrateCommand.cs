using System.CommandLine;
using System.Text;
using RoundRobinLab.Harness;
using RoundRobinLab.Lab.Cli;
using RoundRobinLab.Lab.Compare;
using RoundRobinLab.Lab.Processes;
using RoundRobinLab.Scenarios.Scenarios;

namespace RoundRobinLab.Lab.Calibrate;

/// <summary>
/// `lab calibrate`: the scenario engine against wrk, the same closed load on the same backend in
/// alternating rounds. Two rounds of targets: a WireMock backend answering in 10 ms (20
/// connections: latency accuracy) and the lean backend as fast as it goes (50 connections: can the
/// engine generate as much load as wrk?). The backend runs in a process of its own, as a proxy would.
/// </summary>
internal static class CalibrateCommand
{
    /// <summary>The engine should reach this share of wrk's rate on the same target; below it the engine, not the target, is the limit.</summary>
    public const double Target = 0.9;

    private static readonly CalibrationRound[] s_rounds =
    [
        new("10 ms", "wiremock", 20, """{ "default": { "latency": { "type": "fixed", "ms": 10 } } }"""),
        new("high-rate", "lean", 50, null),
    ];

    public static Command Create(CancellationToken interrupt)
    {
        var rounds = LabOptions.Rounds(LabDefaults.CalibrateRounds);
        var seconds = LabOptions.Positive("--seconds", LabDefaults.CalibrateSecondsPerRound, "Length of one run of either tool.");
        var threads = LabOptions.Positive("--wrk-threads", 2, "wrk's threads.");
        var command = new Command("calibrate", $"Check the scenario engine against wrk: the same closed load on one backend in its own process, alternating rounds, at 10 ms answers (20 connections) and at the lean backend's full rate (50 connections). Prints both tools' rate and latency percentiles and the engine's share of wrk's rate (target ≥ {Target:0.0}×).")
        {
            rounds, seconds, threads,
        };
        command.SetAction(async parse =>
        {
            await RunAsync(parse.GetValue(rounds), TimeSpan.FromSeconds(parse.GetValue(seconds)), parse.GetValue(threads), interrupt);
            return LabExit.Passed;
        });
        return command;
    }

    private static async Task RunAsync(int rounds, TimeSpan length, int wrkThreads, CancellationToken interrupt)
    {
        ExternalTools.Require("wrk", "wrk");
        var directory = LabPaths.NewRunDirectory("calibrate");
        var table = new StringBuilder("| target | round | tool | requests/s | p50 ms | p99 ms | errors |\n|---|---|---|---:|---:|---:|---:|\n");
        var verdicts = new List<string>();
        foreach (var target in s_rounds)
        {
            var port = FreePort.Next();
            string[] args = ["backends", "--count", "1", "--backend-base-port", $"{port}", "--control-port", $"{FreePort.Next()}", "--mode", target.Mode];
            if (target.Profile is not null)
            {
                var profile = Path.Combine(directory, $"profile-{target.Mode}.json");
                await File.WriteAllTextAsync(profile, target.Profile, interrupt);
                args = [.. args, "--profile", profile];
            }

            var (fileName, selfArgs) = LabSelf.Command(args);
            await using var backend = ExternalProcess.Start(fileName, selfArgs, Path.Combine(directory, $"backend-{target.Mode}.log"));
            var url = new Uri($"http://127.0.0.1:{port}/");
            await Processes.Http.WaitUntilAnswersAsync(url, null, interrupt);
            Console.Error.WriteLine($"==> {target.Name}: one {target.Mode} backend on {url} in its own process; {rounds} alternating rounds of wrk -t{wrkThreads} -c{target.Connections} and the engine with {target.Connections} users");
            await Wrk.RunAsync(url, wrkThreads, target.Connections, TimeSpan.FromSeconds(3), interrupt);
            var wrkRates = new List<double>();
            var engineRates = new List<double>();
            for (var round = 1; round <= rounds; round++)
            {
                var wrk = await Wrk.RunAsync(url, wrkThreads, target.Connections, length, interrupt);
                wrkRates.Add(wrk.RequestsPerSecond);
                table.AppendLine(Invariant.Format($"| {target.Name} | {round} | wrk -t{wrkThreads} -c{target.Connections} | {wrk.RequestsPerSecond:0} | {wrk.P50Ms:0.000} | {wrk.P99Ms:0.000} | {wrk.SocketErrors + wrk.Non2xx} |"));
                var engine = await EngineAsync(url, target.Connections, length, Path.Combine(directory, $"engine-{target.Mode}-{round}"), interrupt);
                engineRates.Add(engine.RequestsPerSecond);
                table.AppendLine(Invariant.Format($"| {target.Name} | {round} | engine, {target.Connections} users | {engine.RequestsPerSecond:0} | {engine.P50Ms:0.000} | {engine.P99Ms:0.000} | {engine.Errors} |"));
                Console.Error.WriteLine(Invariant.Format($"  round {round}: wrk {wrk.RequestsPerSecond:0} req/s, engine {engine.RequestsPerSecond:0} req/s"));
            }

            var share = Statistics.Median(engineRates) / Statistics.Median(wrkRates);
            verdicts.Add(Invariant.Format($"{target.Name}: the engine reaches {share:0.00}× wrk's rate (medians; target ≥ {Target:0.0}×): {(share >= Target ? "ok" : "BELOW TARGET")}"));
        }

        var text = table + Environment.NewLine + string.Join(Environment.NewLine, verdicts) + Environment.NewLine;
        await File.WriteAllTextAsync(Path.Combine(directory, "calibrate.md"), text, interrupt);
        Console.WriteLine(text);
        Console.WriteLine($"Written to {Path.Combine(directory, "calibrate.md")}");
    }

    private static async Task<(double RequestsPerSecond, double P50Ms, double P99Ms, long Errors)> EngineAsync(Uri url, int users, TimeSpan length, string reportDirectory, CancellationToken interrupt)
    {
        var settings = new RunSettings
        {
            Target = url,
            Users = users,
            Duration = length,
            WarmUp = TimeSpan.FromSeconds(2),
            ProxyBinary = "",
            ReportDirectory = reportDirectory,
        };
        var result = await ScenarioRunner.RunAsync(Catalogue.Find("probe")!, settings, progress: null, interrupt);
        return (result.Outcome.RequestsPerSecond, result.Metrics["p50"], result.Metrics["p99"], result.Outcome.ErrorsTotal);
    }

    private sealed record CalibrationRound(string Name, string Mode, int Connections, string? Profile);
}
