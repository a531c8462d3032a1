using System.Globalization;
using System.Runtime.InteropServices;
using RoundRobinLab.Backends.Cli;
using RoundRobinLab.Scenarios.Lab;
using RoundRobinLab.Scenarios.Reports;
using RoundRobinLab.Scenarios.Scenarios;
using RoundRobinLab.Scenarios.Thresholds;

const string Help = """
    lab-scenarios - load scenarios against the round-robin proxy, with thresholds and reports

    Usage:
      lab-scenarios list
      lab-scenarios run NAME [options]     run one scenario; exit 1 when a threshold fails
      lab-scenarios ci [options]           the short CI set (under a minute); exit 1 on any failure
      lab-scenarios startup [--rounds N] [--proxy PATH] [--nginx TEMPLATE]
                                           start the proxy N times (default 10): median time from launch
                                           to the first proxied 200, and resident memory then; with an
                                           nginx proxy configuration template, nginx in alternate rounds

    Options:
      --duration SECONDS      measured phase length (the scenario's own by default)
      --rate N                open model: N requests per second
      --users N               closed model: N concurrent users
      --warmup SECONDS        warm-up before measuring, excluded from results (default 2)
      --threshold EXPR        add a threshold, e.g. p99<20ms, errors<0.1%, spread<=1, rps>=5000 (repeatable)
      --target URL            load an existing target instead of starting the fleet and the proxy
      --report-dir DIR        where reports go (default results/<time>-<scenario>)
      --proxy PATH            the proxy binary (default $LAB_PROXY_BINARY or artifacts/proxy/rrproxy)
      --proxy-port P --admin-port P --backend-base-port P   (defaults 8080, 9901, 5001)
    """;

CliArguments cli;
try
{
    cli = CliArguments.Parse(args);
}
catch (ArgumentException e)
{
    return Usage(e.Message);
}

if (cli.Help)
{
    Console.Write(Help);
    return 0;
}

var positional = cli.Positional;

using var cancel = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
void Stop(PosixSignalContext context)
{
    // Let the run end its own way: stop sending, stop the proxy and the fleet, write what it has.
    context.Cancel = true;
    cancel.Cancel();
}

try
{
    switch (positional)
    {
        case ["list"]:
            foreach (var scenario in Catalogue.All)
            {
                Console.WriteLine($"{scenario.Name,-16} {scenario.Purpose}");
                var asserts = scenario.Thresholds.Count == 0 ? "nothing (no thresholds)" : string.Join(", ", scenario.Thresholds.Select(t => t.Text));
                Console.WriteLine($"{"",-16} load: {scenario.Simulation.Describe()}; asserts: {asserts}");
            }

            return 0;
        case ["run", var name]:
        {
            var scenario = Catalogue.Find(name) ?? throw new ArgumentException($"no scenario '{name}'; 'lab-scenarios list' shows them.");
            var result = await RunAsync(scenario, Settings(scenario.Name, null));
            return result ? 0 : 1;
        }

        case ["ci"]:
        {
            var root = Value("--report-dir") ?? DefaultReportDirectory("ci");
            var verdicts = new List<(string, bool)>();
            foreach (var (name, duration) in Catalogue.CiSet)
            {
                var settings = Settings(name, Path.Combine(root, name)) with { Duration = duration };
                verdicts.Add((name, await RunAsync(Catalogue.Find(name)!, settings)));
                if (cancel.IsCancellationRequested)
                {
                    break;
                }
            }

            Console.WriteLine();
            foreach (var (name, passed) in verdicts)
            {
                Console.WriteLine($"scenario {name}: {(passed ? "passed" : "FAILED")}");
            }

            return verdicts.All(v => v.Item2) && !cancel.IsCancellationRequested ? 0 : 1;
        }

        case ["startup"]:
        {
            var rounds = (int)(Number("--rounds") ?? 10);
            var binary = Value("--proxy") ?? DefaultProxyBinary();
            var log = Path.Combine(Path.GetTempPath(), "rrproxy-startup.log");
            var (samples, nginx) = await StartupProbe.RunAsync(binary, rounds, log, Value("--nginx"));
            static double Median(IEnumerable<double> values)
            {
                var sorted = values.Order().ToArray();
                return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
            }

            var proxyMedian = Median(samples.Select(s => s.MillisecondsToFirstResponse));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{binary}: launch to first proxied 200: median {proxyMedian:0.0} ms (min {samples.Min(s => s.MillisecondsToFirstResponse):0.0}, max {samples.Max(s => s.MillisecondsToFirstResponse):0.0}) over {rounds} starts; RSS then: median {Median(samples.Select(s => s.ResidentMiB)):0.0} MiB"));
            if (nginx.Count > 0)
            {
                // nginx's RSS is left out: the master alone would understate it (its workers answer).
                var nginxMedian = Median(nginx.Select(s => s.MillisecondsToFirstResponse));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"nginx (alternate rounds, same backend): launch to first proxied 200: median {nginxMedian:0.0} ms (min {nginx.Min(s => s.MillisecondsToFirstResponse):0.0}, max {nginx.Max(s => s.MillisecondsToFirstResponse):0.0}); rrproxy/nginx {proxyMedian / nginxMedian:0.00}x"));
            }

            return 0;
        }

        default:
            return Usage("expected 'list', 'run NAME', 'ci' or 'startup'.");
    }
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    // The proxy and the fleet were stopped on the way out (their disposal runs during unwinding).
    Console.Error.WriteLine("lab-scenarios: interrupted; the proxy and the fleet are stopped, no report written.");
    return 130;
}
catch (ArgumentException e)
{
    return Usage(e.Message);
}
catch (Exception e) when (e is FileNotFoundException or IOException or InvalidOperationException or TimeoutException)
{
    Console.Error.WriteLine($"lab-scenarios: {e.Message}");
    return 2;
}

async Task<bool> RunAsync(Scenario scenario, RunSettings settings)
{
    Console.WriteLine($"== {scenario.Name}: {scenario.Purpose}");
    var console = new ConsoleReport();
    var result = await ScenarioRunner.RunAsync(scenario, settings, console, cancel.Token);
    console.Finish();
    var report = ReportModel.From(result);
    await File.WriteAllTextAsync(Path.Combine(settings.ReportDirectory, "report.json"), report.ToJson());
    await File.WriteAllTextAsync(Path.Combine(settings.ReportDirectory, "report.md"), MarkdownReport.Render(report));
    await File.WriteAllTextAsync(Path.Combine(settings.ReportDirectory, "report.html"), HtmlReport.Render(report));
    ConsoleReport.Summary(report, settings.ReportDirectory);
    return report.Passed;
}

RunSettings Settings(string scenario, string? reportDirectory) => new()
{
    Target = Value("--target") is { } target ? new Uri(target) : null,
    Duration = Seconds("--duration"),
    Rate = Number("--rate"),
    Users = Number("--users") is { } users ? (int)users : null,
    WarmUp = Seconds("--warmup"),
    ExtraThresholds = [.. cli.Values("--threshold").Select(ParseThreshold)],
    Ports = new LabPorts((int)(Number("--proxy-port") ?? 8080), (int)(Number("--admin-port") ?? 9901), (int)(Number("--backend-base-port") ?? 5001)),
    ProxyBinary = Value("--proxy") ?? DefaultProxyBinary(),
    ReportDirectory = reportDirectory ?? Value("--report-dir") ?? DefaultReportDirectory(scenario),
};

string? Value(string name) => cli.Value(name);

double? Number(string name)
{
    if (Value(name) is not { } text)
    {
        return null;
    }

    return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
        ? value
        : throw new ArgumentException($"{name}: '{text}' is not a positive number.");
}

TimeSpan? Seconds(string name) => Number(name) is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

static Threshold ParseThreshold(string text)
{
    var threshold = Threshold.Parse(text, "given on the command line");
    return Threshold.IsStandard(threshold.Metric)
        ? threshold
        : throw new ArgumentException($"threshold '{text}': unknown metric '{threshold.Metric}'; known: {string.Join(", ", Threshold.Metrics.Keys)}, errors (as a count without %), p75..p9999, status200..status599.");
}

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Lab.sln")))
        {
            return dir.FullName;
        }
    }

    return Environment.CurrentDirectory;
}

static string DefaultProxyBinary() =>
    Environment.GetEnvironmentVariable("LAB_PROXY_BINARY") is { Length: > 0 } path ? path : Path.Combine(RepositoryRoot(), "artifacts", "proxy", "rrproxy");

static string DefaultReportDirectory(string name) =>
    Path.Combine(RepositoryRoot(), "results", $"{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{name}");

static int Usage(string message)
{
    Console.Error.WriteLine($"lab-scenarios: {message} See --help.");
    return 2;
}
