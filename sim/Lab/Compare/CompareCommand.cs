using System.CommandLine;
using System.Text;
using RoundRobinLab.Harness;
using RoundRobinLab.Lab.Cli;
using RoundRobinLab.Lab.Toolchain;

namespace RoundRobinLab.Lab.Compare;

/// <summary>
/// `lab compare`: the same load, in one run and alternating rounds, against rrproxy, nginx and
/// HAProxy over the same backends. Requests/s depends on how the two cores are split between wrk
/// and the proxy; CPU per request does not. Both splits (wrk -t1, -t2), each with its own rounds.
/// </summary>
internal static class CompareCommand
{
    public static Command Create(CancellationToken interrupt)
    {
        var rounds = LabOptions.Rounds(LabDefaults.CompareRounds);
        var seconds = LabOptions.Positive("--seconds", LabDefaults.CompareSecondsPerRound, "Length of one wrk run.");
        var proxy = LabOptions.Proxy();
        var command = new Command("compare", "rrproxy, nginx and HAProxy as round-robin proxies over the same two fast backends (nginx static answers), in alternating rounds: small responses at 50 and 256 connections, 1 MiB responses and HTTPS (rrproxy and nginx terminating TLS), each with wrk -t1 and -t2. Requests/s, p50/p99, CPU µs per request and RSS per proxy, the ratios to nginx (table + chart) in results/<time>-compare.")
        {
            rounds, seconds, proxy,
        };
        command.SetAction(async parse =>
        {
            var binary = await ProxyPublisher.ResolveAsync(parse.GetValue(proxy), interrupt);
            await RunAsync(binary, parse.GetValue(rounds), TimeSpan.FromSeconds(parse.GetValue(seconds)), interrupt);
            return LabExit.Passed;
        });
        return command;
    }

    private static async Task RunAsync(string binary, int rounds, TimeSpan length, CancellationToken interrupt)
    {
        var directory = LabPaths.NewRunDirectory("compare");
        await using var lineup = await ProxyLineup.StartAsync(directory, binary, interrupt);
        var memory = new StringBuilder();
        foreach (var proxy in lineup.For(CompareLoad.All[0]))
        {
            memory.AppendLine(Invariant.Format($"{proxy.Name}: idle RSS {ProcFs.ResidentMiB(proxy.Pid):0.0} MiB"));
        }

        var results = new List<CompareRound>();
        foreach (var load in CompareLoad.All)
        {
            var proxies = lineup.For(load);
            foreach (var proxy in proxies)
            {
                await Wrk.RunAsync(new Uri(proxy.Url, load.Path), 2, load.Connections, TimeSpan.FromSeconds(2), interrupt);
            }

            foreach (var threads in new[] { 1, 2 })
            {
                Console.Error.WriteLine($"==> Load {load.Name}/t{threads}: wrk -t{threads} -c{load.Connections} -d{length.TotalSeconds}s, {rounds} rounds alternating the proxies");
                for (var round = 1; round <= rounds; round++)
                {
                    foreach (var proxy in proxies)
                    {
                        var before = ProcFs.CpuSeconds(proxy.Pid);
                        var wrk = await Wrk.RunAsync(new Uri(proxy.Url, load.Path), threads, load.Connections, length, interrupt);
                        var result = new CompareRound(load.Name, threads, round, proxy.Name, wrk, ProcFs.CpuSeconds(proxy.Pid) - before, ProcFs.ResidentMiB(proxy.Pid));
                        results.Add(result);
                        Console.Error.WriteLine(Invariant.Format($"  round {round} {proxy.Name,-8} {wrk.RequestsPerSecond,10:0} req/s  p50 {wrk.P50Ms,8:0.000} ms  p99 {wrk.P99Ms,8:0.000} ms  CPU {result.CpuMicrosPerRequest,6:0.0} µs/request{(wrk.SocketErrors + wrk.Non2xx > 0 ? $"  errors {wrk.SocketErrors + wrk.Non2xx}" : "")}"));
                    }
                }
            }
        }

        foreach (var proxy in lineup.For(CompareLoad.All[0]))
        {
            memory.AppendLine(Invariant.Format($"{proxy.Name}: peak RSS {ProcFs.ResidentMiB(proxy.Pid, peak: true):0.0} MiB"));
        }

        await File.WriteAllLinesAsync(Path.Combine(directory, "rounds.tsv"),
            ["load\tround\tproxy\trps\tp50_ms\tp99_ms\tcpu_s\trss_mib\trequests\terrors",
             .. results.Select(r => Invariant.Format($"{r.Group}\t{r.Round}\t{r.Proxy}\t{r.Wrk.RequestsPerSecond}\t{r.Wrk.P50Ms}\t{r.Wrk.P99Ms}\t{r.CpuSeconds:0.00}\t{r.ResidentMiB:0.0}\t{r.Wrk.Requests}\t{r.Wrk.SocketErrors + r.Wrk.Non2xx}"))], interrupt);
        var rows = CompareSummary.Rows(results);
        await File.WriteAllTextAsync(Path.Combine(directory, "compare.svg"), CompareSummary.Chart(rows), interrupt);
        var markdown = CompareSummary.Markdown(rows) + Environment.NewLine
            + $"Medians of {rounds} alternating rounds; rounds in rounds.tsv; chart: compare.svg." + Environment.NewLine + memory;
        await File.WriteAllTextAsync(Path.Combine(directory, "compare.md"), markdown, interrupt);
        Console.WriteLine(markdown);
        Console.WriteLine($"Written to {Path.Combine(directory, "compare.md")}");
    }
}
