using System.Globalization;
using System.Text.RegularExpressions;

namespace RoundRobinLab.Scenarios.Thresholds;

/// <summary>
/// A pass/fail condition on a run's metrics, written as on the command line: "p99&lt;20ms",
/// "errors&lt;0.1%", "spread&lt;=1", "rps&gt;=5000". Any failing threshold makes the run fail.
/// </summary>
public sealed partial record Threshold(string Text, string Metric, string Operator, double Value, string Reason)
{
    /// <summary>The metrics a threshold can name, with their unit, for --help and error messages.</summary>
    public static readonly IReadOnlyDictionary<string, string> Metrics = new Dictionary<string, string>
    {
        ["p50"] = "latency percentile, ms (also p75 p90 p95 p99 p999; units ms, s, us)",
        ["mean"] = "mean latency, ms",
        ["max"] = "maximum latency, ms",
        ["rps"] = "completed requests per second",
        ["errors"] = "failed requests (transport errors and 5xx) as % of all, or a count without %",
        ["spread"] = "max − min requests per backend, over the whole run",
        ["deviation"] = "largest relative deviation from an even (or weighted) share, %",
        ["chi2p"] = "chi-square p-value of the per-backend counts against an even split",
        ["mismatch"] = "backends whose client-side and backend-side counts differ",
        ["requests"] = "requests completed in the measured phase",
        ["transport"] = "requests that got no HTTP answer at all (connect, timeout, reset, bad response)",
        ["status503"] = "responses with that status (any status: status200, status502, ...)",
    };

    public static Threshold Parse(string text, string reason = "")
    {
        var match = Grammar().Match(text.Replace(" ", "", StringComparison.Ordinal));
        if (!match.Success)
        {
            throw new ArgumentException($"threshold '{text}': write METRIC OP VALUE, e.g. p99<20ms, errors<0.1%, spread<=1, rps>=5000.");
        }

        var metric = match.Groups["metric"].Value.ToLowerInvariant();

        var value = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        var unit = match.Groups["unit"].Value.ToLowerInvariant();
        value = unit switch
        {
            "s" => value * 1000,
            "us" => value / 1000,
            "" or "ms" or "%" => value,
            _ => throw new ArgumentException($"threshold '{text}': unknown unit '{unit}' (ms, s, us or %)."),
        };
        if (metric == "errors" && unit != "%")
        {
            metric = "errorcount";
        }

        return new Threshold(text, metric, match.Groups["op"].Value, value, reason);
    }

    /// <summary>Checks the threshold; the actual value comes from <paramref name="metrics"/>.</summary>
    public ThresholdResult Evaluate(IReadOnlyDictionary<string, double> metrics)
    {
        var actual = metrics.TryGetValue(Metric, out var value) ? value : double.NaN;
        var pass = !double.IsNaN(actual) && Operator switch
        {
            "<" => actual < Value,
            "<=" => actual <= Value,
            ">" => actual > Value,
            ">=" => actual >= Value,
            "==" or "=" => Math.Abs(actual - Value) < 1e-9,
            _ => false,
        };
        return new ThresholdResult(Text, Reason, actual, pass);
    }

    /// <summary>
    /// Whether <paramref name="metric"/> is one every run has (a scenario may define more); the
    /// command line accepts only these.
    /// </summary>
    public static bool IsStandard(string metric) =>
        Metrics.ContainsKey(metric) || metric is "errorcount" or "transport" || StandardPattern().IsMatch(metric);

    [GeneratedRegex(@"^(p[0-9]{2,4}|status[1-5][0-9][0-9])$")]
    private static partial Regex StandardPattern();

    [GeneratedRegex(@"^(?<metric>[A-Za-z][A-Za-z0-9]*)(?<op><=|>=|==|<|>|=)(?<value>[0-9]+(\.[0-9]+)?)(?<unit>ms|s|us|%)?$")]
    private static partial Regex Grammar();
}

public sealed record ThresholdResult(string Threshold, string Reason, double Actual, bool Passed);
