using System.Globalization;
using System.Text.RegularExpressions;
using RoundRobinLab.Lab.Processes;

namespace RoundRobinLab.Lab.Compare;

/// <summary>What one wrk run measured.</summary>
internal sealed record WrkResult(double RequestsPerSecond, long Requests, double P50Ms, double P99Ms, long SocketErrors, long Non2xx);

/// <summary>wrk, run and read: the load generator the lab measures the proxies (and its own engine) with.</summary>
internal static partial class Wrk
{
    public static async Task<WrkResult> RunAsync(Uri url, int threads, int connections, TimeSpan duration, CancellationToken cancellationToken)
    {
        var wrk = ExternalTools.Require("wrk", "wrk");
        var (exitCode, output) = await ExternalProcess.RunAsync(wrk,
            [$"-t{threads}", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--latency", url.ToString()], cancellationToken);
        return exitCode == 0 ? Parse(output) : throw new InvalidOperationException($"wrk ended with {exitCode}: {output.Trim()}");
    }

    /// <summary>Reads wrk's report (with --latency): requests/s, requests, the 50% and 99% latencies, errors.</summary>
    public static WrkResult Parse(string output)
    {
        double Number(Regex pattern) => pattern.Match(output) is { Success: true } m
            ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new FormatException($"wrk's output has no '{pattern}': {output.Trim()}");
        var errors = SocketErrors().Match(output) is { Success: true } e
            ? e.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture))
            : 0;
        return new WrkResult(
            Number(RequestsPerSecond()),
            (long)Number(Requests()),
            Milliseconds(Percentile(output, "50%")),
            Milliseconds(Percentile(output, "99%")),
            errors,
            Non2xx().Match(output) is { Success: true } n ? long.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
    }

    /// <summary>wrk's latency notation (812.00us, 10.12ms, 1.20s, 2.00m) in milliseconds.</summary>
    public static double Milliseconds(string value)
    {
        var match = Duration().Match(value);
        if (!match.Success)
        {
            throw new FormatException($"'{value}' is not a wrk latency.");
        }

        var number = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "us" => number / 1000,
            "ms" => number,
            "s" => number * 1000,
            "m" => number * 60_000,
            _ => throw new FormatException($"'{value}': unknown unit."),
        };
    }

    private static string Percentile(string output, string percentile) =>
        output.Split('\n').Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).FirstOrDefault(f => f.Length == 2 && f[0] == percentile)?[1]
            ?? throw new FormatException($"wrk's output has no {percentile} latency (was it run with --latency?).");

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"^\s*([0-9]+) requests in ", RegexOptions.Multiline)]
    private static partial Regex Requests();

    [GeneratedRegex(@"Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"Non-2xx or 3xx responses: ([0-9]+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"^([0-9.]+)(us|ms|s|m)$")]
    private static partial Regex Duration();
}
