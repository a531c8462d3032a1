using System.Globalization;
using System.Text;
using RoundRobinLab.Scenarios.Expectations;

namespace RoundRobinLab.Scenarios.Reports;

/// <summary>
/// report.html: one self-contained page with the verdict, the numbers and three charts: the
/// latency percentile curve, the rate over time (with what happened when), and the per-backend
/// counts from the three points of view.
/// </summary>
public static class HtmlReport
{
    public static string Render(ReportModel r)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(SvgChart.Escape($"{r.Scenario} — Round-Robin Lab")).Append("</title><style>")
            .Append("body{font-family:system-ui,sans-serif;max-width:820px;margin:24px auto;color:#111827;padding:0 12px}")
            .Append("table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #d1d5db;padding:4px 10px;text-align:right}")
            .Append("th{background:#f3f4f6}td:first-child,th:first-child{text-align:left}.pass{color:#15803d;font-weight:600}.fail{color:#b91c1c;font-weight:600}")
            .Append(".verdict{font-size:22px;padding:8px 14px;border-radius:6px;display:inline-block}.ok{background:#dcfce7}.bad{background:#fee2e2}")
            .Append("svg{margin:8px 0 20px;border:1px solid #e5e7eb;border-radius:6px}</style></head><body>");
        html.Append(Inv($"<h1>{SvgChart.Escape(r.Scenario)}</h1><p>{SvgChart.Escape(r.Purpose)}</p>"));
        html.Append(Inv($"<p class=\"verdict {(r.Passed ? "ok" : "bad")}\">{(r.Passed ? "Passed" : "Failed")}: {r.Thresholds.Count(t => t.Passed)} of {r.Thresholds.Count} thresholds{(r.Expectations.Count > 0 ? $" and {r.Expectations.Count(e => e.Passed)} of {r.Expectations.Count} expectations" : "")} hold</p>"));
        html.Append(Inv($"<p>{SvgChart.Escape(r.Load)} against {SvgChart.Escape(r.Target)}; measured {r.MeasuredSeconds:0.##} s: <b>{r.Requests}</b> requests, <b>{r.RequestsPerSecond:0.#}</b> req/s, <b>{r.Errors}</b> errors.</p>"));

        html.Append("<table><tr><th>threshold</th><th>actual</th><th></th><th style=\"text-align:left\">why</th></tr>");
        foreach (var t in r.Thresholds)
        {
            html.Append(Inv($"<tr><td><code>{SvgChart.Escape(t.Threshold)}</code></td><td>{MarkdownReport.Actual(t.Actual)}</td><td class=\"{(t.Passed ? "pass" : "fail")}\">{(t.Passed ? "pass" : "FAIL")}</td><td style=\"text-align:left\">{SvgChart.Escape(t.Reason)}</td></tr>"));
        }

        html.Append("</table>");
        html.Append(ExpectationList(r));
        html.Append(BackendBars(r));
        html.Append(BackendTable(r));
        html.Append(RateOverTime(r));
        html.Append(RotationOverTime(r));
        html.Append(PercentileCurve(r));
        html.Append("<p style=\"color:#6b7280\">The JSON and Markdown versions of this report are beside it. Latency is measured from when each request was due (open model) or sent (closed model), recorded in an HdrHistogram.</p>");
        html.Append("</body></html>");
        return html.ToString();
    }

    /// <summary>Each expectation with its verdict, the measured value and how it was measured; the events it names are marked on the rate chart.</summary>
    private static string ExpectationList(ReportModel r)
    {
        if (r.Expectations.Count == 0)
        {
            return "";
        }

        var table = new StringBuilder("<h2>Expectations</h2><table><tr><th>expectation</th><th>measured</th><th></th><th style=\"text-align:left\">how it was measured</th><th style=\"text-align:left\">why</th></tr>");
        foreach (var e in r.Expectations)
        {
            table.Append(Inv($"<tr><td><code>{SvgChart.Escape(e.Expectation)}</code></td><td>{MarkdownReport.Actual(e.Measured)}</td><td class=\"{(e.Passed ? "pass" : "fail")}\">{(e.Passed ? "pass" : "FAIL")}</td><td style=\"text-align:left\">{SvgChart.Escape(e.Measurement)}</td><td style=\"text-align:left\">{SvgChart.Escape(e.Reason)}</td></tr>"));
        }

        return table.Append("</table>").ToString();
    }

    private static string BackendTable(ReportModel r)
    {
        var table = new StringBuilder("<table><tr><th>backend</th><th>client saw</th><th>backend logged</th><th>proxy sent</th><th>client share</th></tr>");
        foreach (var b in r.Backends)
        {
            table.Append(Inv($"<tr><td>{SvgChart.Escape(b.Backend)}</td><td>{b.Client}</td><td>{b.Backends?.ToString(CultureInfo.InvariantCulture) ?? "–"}</td><td>{b.Proxy?.ToString(CultureInfo.InvariantCulture) ?? "–"}</td><td>{b.SharePercent:0.00}%</td></tr>"));
        }

        var d = r.Distribution;
        table.Append(Inv($"</table><p>Spread (max − min) <b>{d.Spread}</b>; largest deviation from {(d.Weighted ? "its weighted" : "an even")} share {d.MaxDeviationPercent:0.###}%; χ² = {d.ChiSquare:0.####} ({d.DegreesOfFreedom} df), p = {d.PValue:0.####}.</p>"));
        return table.ToString();
    }

    private static string BackendBars(ReportModel r)
    {
        if (r.Backends.Count == 0)
        {
            return "";
        }

        var max = r.Backends.Max(b => Math.Max(b.Client, Math.Max(b.Backends ?? 0, b.Proxy ?? 0)));
        var ticks = SvgChart.NiceTicks(max * 1.1);
        var chart = new SvgChart("Requests per backend (whole run)", 0, r.Backends.Count, 0, ticks[^1], "backend", "requests");
        var series = new (string Label, Func<BackendRow, long?> Value, string Color)[]
        {
            ("client saw", b => b.Client, SvgChart.Palette[0]),
            ("backend logged", b => b.Backends, SvgChart.Palette[1]),
            ("proxy sent", b => b.Proxy, SvgChart.Palette[2]),
        };
        for (var i = 0; i < r.Backends.Count; i++)
        {
            var backend = r.Backends[i];
            for (var s = 0; s < series.Length; s++)
            {
                if (series[s].Value(backend) is { } value)
                {
                    chart.Bar(i + 0.15 + (s * 0.23), 0.22, value, series[s].Color, $"{backend.Backend}, {series[s].Label}: {value}");
                }
            }
        }

        foreach (var (label, _, color) in series)
        {
            chart.Legend(label, color);
        }

        return chart.Render(r.Backends.Select((b, i) => (i + 0.5, b.Backend)), ticks.Select(t => (t, t.ToString("0.##", CultureInfo.InvariantCulture))));
    }

    private static string RateOverTime(ReportModel r)
    {
        if (r.Timeline.Count == 0)
        {
            return "";
        }

        var maxX = Math.Max(1, r.Timeline[^1].Second);
        var ticks = SvgChart.NiceTicks(Math.Max(1, r.Timeline.Max(p => p.Completed)) * 1.1);
        var chart = new SvgChart("Rate over time", 0, maxX, 0, ticks[^1], "seconds into the measured phase", "requests per second");
        chart.Line(r.Timeline.Select(p => (p.Second, (double)p.Completed)), "#111827", "all");
        var backends = r.Timeline.SelectMany(p => p.Backends.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < backends.Count; i++)
        {
            var id = backends[i];
            chart.Line(r.Timeline.Select(p => (p.Second, (double)p.Backends.GetValueOrDefault(id))), SvgChart.Palette[i % SvgChart.Palette.Length], id);
        }

        if (r.Timeline.Any(p => p.Errors > 0))
        {
            chart.Line(r.Timeline.Select(p => (p.Second, (double)p.Errors)), "#dc2626", "errors", dashed: true);
        }

        for (var i = 0; i < r.Events.Count; i++)
        {
            chart.VerticalMarker(r.Events[i].Second, r.Events[i].Label, i % 4);
        }

        return chart.Render(SvgChart.NiceTicks(maxX).Select(t => (t, t.ToString("0.#", CultureInfo.InvariantCulture))),
            ticks.Select(t => (t, t.ToString("0.##", CultureInfo.InvariantCulture))));
    }

    /// <summary>
    /// One lane per backend: high while the proxy's /stats showed it in rotation, low while out,
    /// stepping at each sample (every ~200 ms); the events marked as on the rate chart.
    /// </summary>
    private static string RotationOverTime(ReportModel r)
    {
        var samples = r.Rotation.Where(s => s.Second >= 0).ToList();
        if (samples.Count == 0)
        {
            return "";
        }

        var backends = samples.SelectMany(s => s.InRotation.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var maxX = Math.Max(1, Math.Max(samples[^1].Second, r.Timeline.Count > 0 ? r.Timeline[^1].Second : 0));
        var chart = new SvgChart("In rotation (proxy /stats)", 0, maxX, 0, backends.Count, "seconds into the measured phase", "backend: high = in rotation");
        for (var i = 0; i < backends.Count; i++)
        {
            var lane = i;
            var id = backends[i];
            double Level(RotationSample s) => lane + (s.InRotation.GetValueOrDefault(id) ? 0.8 : 0.2);
            var points = samples.SelectMany((s, k) => k + 1 < samples.Count
                ? new[] { (s.Second, Level(s)), (samples[k + 1].Second, Level(s)) }
                : [(s.Second, Level(s))]);
            chart.Line(points, SvgChart.Palette[i % SvgChart.Palette.Length], id);
        }

        for (var i = 0; i < r.Events.Count; i++)
        {
            chart.VerticalMarker(r.Events[i].Second, r.Events[i].Label, i % 4);
        }

        return chart.Render(SvgChart.NiceTicks(maxX).Select(t => (t, t.ToString("0.#", CultureInfo.InvariantCulture))),
            backends.Select((b, i) => (i + 0.5, b)));
    }

    private static string PercentileCurve(ReportModel r)
    {
        // X on a scale of nines: 90% → 1, 99% → 2, 99.9% → 3, 99.99% → 4; the maximum sits at 5.
        static double Nines(double percentile) => percentile >= 100 ? 5 : -Math.Log10(1 - (percentile / 100));
        if (r.PercentileCurve.Count == 0)
        {
            return "";
        }

        var ticks = SvgChart.NiceTicks(r.PercentileCurve.Max(p => p.Ms) * 1.1);
        var chart = new SvgChart("Latency by percentile", 0, 5, 0, ticks[^1], "percentile", "milliseconds");
        chart.Line(r.PercentileCurve.Select(p => (Nines(p.Percentile), p.Ms)), SvgChart.Palette[0], "latency");
        chart.Dots(r.PercentileCurve.Select(p => (Nines(p.Percentile), p.Ms, $"p{p.Percentile}: {p.Ms:0.###} ms")), SvgChart.Palette[0]);
        return chart.Render([(0, "0%"), (1, "90%"), (2, "99%"), (3, "99.9%"), (4, "99.99%"), (5, "max")],
            ticks.Select(t => (t, t.ToString("0.##", CultureInfo.InvariantCulture))));
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
