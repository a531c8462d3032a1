using System.CommandLine;
using RoundRobinLab.Harness;
using RoundRobinLab.Lab.Cli;
using RoundRobinLab.Lab.Processes;
using RoundRobinLab.Lab.Toolchain;

namespace RoundRobinLab.Lab.Startup;

/// <summary>`lab startup`: the proxy's footprint at start, against nginx started the same way in alternate rounds.</summary>
internal static class StartupCommand
{
    public static Command Create(CancellationToken interrupt)
    {
        var rounds = LabOptions.Rounds(LabDefaults.StartupRounds);
        var proxy = LabOptions.Proxy();
        var command = new Command("startup", "Start the published proxy ROUNDS times: median time from launch to the first proxied 200, RSS then, and the binary's size; nginx (when installed) started the same way in alternate rounds, and the ratio.")
        {
            rounds, proxy,
        };
        command.SetAction(async parse =>
        {
            var binary = await ProxyPublisher.ResolveAsync(parse.GetValue(proxy), interrupt);
            Console.WriteLine($"binary: {new FileInfo(binary).Length} bytes ({binary})");
            var count = parse.GetValue(rounds);
            var log = Path.Combine(Path.GetTempPath(), "rrproxy-startup.log");
            // nginx when it is installed (compare installs it): the target is a ratio.
            var nginx = ExternalTools.Find("nginx");
            var (samples, nginxSamples) = await StartupProbe.RunAsync(binary, count, log, nginx,
                Path.Combine(LabPaths.RepositoryRoot, "lab", "compare", "proxy.nginx.conf"), interrupt);
            var proxyMedian = Statistics.Median(samples.Select(s => s.MillisecondsToFirstResponse));
            Console.WriteLine(Invariant.Format(
                $"{binary}: launch to first proxied 200: median {proxyMedian:0.0} ms (min {samples.Min(s => s.MillisecondsToFirstResponse):0.0}, max {samples.Max(s => s.MillisecondsToFirstResponse):0.0}) over {count} starts; RSS then: median {Statistics.Median(samples.Select(s => s.ResidentMiB)):0.0} MiB"));
            if (nginxSamples.Count > 0)
            {
                // nginx's RSS is left out: the master alone would understate it (its workers answer).
                var nginxMedian = Statistics.Median(nginxSamples.Select(s => s.MillisecondsToFirstResponse));
                Console.WriteLine(Invariant.Format(
                    $"nginx (alternate rounds, same backend): launch to first proxied 200: median {nginxMedian:0.0} ms (min {nginxSamples.Min(s => s.MillisecondsToFirstResponse):0.0}, max {nginxSamples.Max(s => s.MillisecondsToFirstResponse):0.0}); rrproxy/nginx {proxyMedian / nginxMedian:0.00}x"));
            }
            else
            {
                Console.WriteLine("nginx is not installed: no ratio (./run-lab.sh compare installs it).");
            }

            return LabExit.Passed;
        });
        return command;
    }
}
