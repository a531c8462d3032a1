using System.Globalization;
using System.Text;

namespace RoundRobinLab.Scenarios.Reports;

/// <summary>The report as Markdown (report.md), and as plain text for the console summary.</summary>
public static class MarkdownReport
{
    public static string Render(ReportModel r)
    {
        var md = new StringBuilder();
        md.AppendLine(Inv($"# {r.Scenario}: {(r.Passed ? "PASSED" : "FAILED")}"));
        md.AppendLine();
        md.AppendLine(r.Purpose);
        md.AppendLine();
        md.AppendLine(Inv($"- Load: {r.Load}, against {r.Target}"));
        md.AppendLine(Inv($"- Measured: {r.MeasuredSeconds:0.##} s, {r.Requests} requests, {r.RequestsPerSecond:0.#} req/s, {r.Errors} errors"));
        if (r.ErrorsByKind.Count > 0)
        {
            md.AppendLine(Inv($"- Errors by kind: {string.Join(", ", r.ErrorsByKind.Select(e => $"{e.Key} {e.Value}"))}"));
        }

        if (r.Events.Count > 0)
        {
            md.AppendLine(Inv($"- Events: {string.Join(", ", r.Events.Select(e => $"{e.Label} at {e.Second:0.#} s"))}"));
        }

        md.AppendLine(Inv($"- Status codes: {string.Join(", ", r.StatusCodes.Select(s => $"{s.Key} × {s.Value}"))}"));
        if (r.Latency is { } l)
        {
            md.AppendLine(Inv($"- Latency (ms): p50 {l.P50Ms:0.###}, p90 {l.P90Ms:0.###}, p99 {l.P99Ms:0.###}, p99.9 {l.P999Ms:0.###}, max {l.MaxMs:0.###}, mean {l.MeanMs:0.###}"));
        }

        md.AppendLine();
        md.AppendLine("## Per backend (whole run, warm-up included)");
        md.AppendLine();
        md.AppendLine("| backend | client saw (X-Backend-Id) | backend logged | proxy sent | client share |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var b in r.Backends)
        {
            md.AppendLine(Inv($"| {b.Backend} | {b.Client} | {b.Backends?.ToString(CultureInfo.InvariantCulture) ?? "–"} | {b.Proxy?.ToString(CultureInfo.InvariantCulture) ?? "–"} | {b.SharePercent:0.00}% |"));
        }

        var d = r.Distribution;
        md.AppendLine();
        md.AppendLine(Inv($"Spread (max − min) {d.Spread}, largest deviation from {(d.Weighted ? "its weighted" : "an even")} share {d.MaxDeviationPercent:0.###}%, χ² = {d.ChiSquare:0.####} with {d.DegreesOfFreedom} degrees of freedom, p = {d.PValue:0.####}."));
        md.AppendLine();
        md.AppendLine("## Thresholds");
        md.AppendLine();
        md.AppendLine("| | threshold | actual | why |");
        md.AppendLine("|---|---|---:|---|");
        foreach (var t in r.Thresholds)
        {
            md.AppendLine(Inv($"| {(t.Passed ? "pass" : "**FAIL**")} | `{t.Threshold}` | {Actual(t.Actual)} | {t.Reason} |"));
        }

        if (r.Expectations.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Expectations");
            md.AppendLine();
            md.AppendLine("| | expectation | measured | how | why |");
            md.AppendLine("|---|---|---:|---|---|");
            foreach (var e in r.Expectations)
            {
                md.AppendLine(Inv($"| {(e.Passed ? "pass" : "**FAIL**")} | `{e.Expectation}` | {Actual(e.Measured)} | {e.Measurement} | {e.Reason} |"));
            }
        }

        return md.ToString();
    }

    internal static string Actual(double value) => double.IsNaN(value) ? "no data" : value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
