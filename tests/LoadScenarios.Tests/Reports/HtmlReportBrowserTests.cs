using System.Text.Json;
using OpenQA.Selenium;
using RoundRobinLab.Scenarios.Reports;

namespace RoundRobinLab.Scenarios.Tests.Reports;

/// <summary>report.html as a reader sees it: opened from disk in headless Chromium.</summary>
public sealed class HtmlReportBrowserTests
{
    /// <summary>
    /// What the browser laid out, per chart: its rendered box, and each mark's. Read through the
    /// SVG DOM (points.numberOfItems, getBBox), so it counts what Chromium parsed, not our text.
    /// </summary>
    private const string ChartsScript = """
        const box = e => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; };
        return JSON.stringify([...document.querySelectorAll('svg')].map(svg => ({
            title: svg.querySelector('text').textContent,
            box: box(svg),
            lines: [...svg.querySelectorAll('polyline')].map(l => ({ points: l.points.numberOfItems, bboxWidth: l.getBBox().width, box: box(l) })),
            bars: [...svg.querySelectorAll('rect')].filter(r => r.querySelector('title')).map(r => ({ label: r.querySelector('title').textContent, box: box(r) })),
            dots: [...svg.querySelectorAll('circle')].map(box),
            texts: [...svg.querySelectorAll('text')].map(t => t.textContent),
        })));
        """;

    [ChromiumFact]
    public void ReportHtml_InChromium_RendersEveryChartWithItsSeries()
    {
        var report = ReportModel.From(SampleRun.Result());
        var directory = Directory.CreateTempSubdirectory("rrlab-report-");
        var path = Path.Combine(directory.FullName, "report.html");
        // As a scenario run writes it.
        File.WriteAllText(path, HtmlReport.Render(report));
        var (driver, service) = HeadlessChromium.Start();
        try
        {
            driver.Navigate().GoToUrl(new Uri(path).AbsoluteUri);

            driver.Title.ShouldBe("backend-dies — Round-Robin Lab");
            driver.FindElement(By.CssSelector("p.verdict")).Text.ShouldBe("Failed: 2 of 3 thresholds hold");
            // Self-contained: the page fetched nothing (no script, stylesheet, font or image).
            Convert.ToInt64(driver.ExecuteScript("return performance.getEntriesByType('resource').length;"), System.Globalization.CultureInfo.InvariantCulture).ShouldBe(0);

            using var charts = JsonDocument.Parse(((string?)driver.ExecuteScript(ChartsScript)).ShouldNotBeNull());
            var all = charts.RootElement.EnumerateArray().ToList();
            all.Select(c => c.GetProperty("title").GetString()).ShouldBe(["Requests per backend (whole run)", "Rate over time", "Latency by percentile"]);
            foreach (var chart in all)
            {
                // SvgChart's 760 × 320 and the page's 1 px border on each side.
                var box = chart.GetProperty("box");
                box.GetProperty("width").GetDouble().ShouldBe(762, tolerance: 0.5);
                box.GetProperty("height").GetDouble().ShouldBe(322, tolerance: 0.5);
            }

            BarsShowEachBackendsCountsToScale(all[0]);
            RateShowsEveryBackendOverTheTimeline(all[1], report.Timeline.Count);
            PercentileCurveShowsEveryPoint(all[2], report.PercentileCurve.Count);

            // No error in the console; then one on purpose, to show the log is really read.
            var severe = driver.Manage().Logs.GetLog(LogType.Browser).Where(e => e.Level == LogLevel.Severe).Select(e => e.Message).ToList();
            severe.ShouldBeEmpty();
            driver.ExecuteScript("console.error('rrlab-log-probe');");
            driver.Manage().Logs.GetLog(LogType.Browser).ShouldContain(e => e.Level == LogLevel.Severe && e.Message.Contains("rrlab-log-probe", StringComparison.Ordinal));
        }
        finally
        {
            driver.Quit();
            driver.Dispose();
            service.Dispose();
            directory.Delete(recursive: true);
        }
    }

    private static void BarsShowEachBackendsCountsToScale(JsonElement chart)
    {
        var bars = chart.GetProperty("bars").EnumerateArray()
            .ToDictionary(b => b.GetProperty("label").GetString()!, b => b.GetProperty("box").GetProperty("height").GetDouble());
        bars.Count.ShouldBe(9);
        foreach (var backend in SampleRun.BackendIds)
        {
            foreach (var view in new[] { "client saw", "backend logged", "proxy sent" })
            {
                bars.Keys.ShouldContain(k => k.StartsWith($"{backend}, {view}: ", StringComparison.Ordinal));
            }
        }

        // Heights are to scale: b2's 334 responses against b1's 532.
        (bars["b2, client saw: 334"] / bars["b1, client saw: 532"]).ShouldBe(334.0 / 532, tolerance: 0.01);
        Texts(chart).ShouldContain("client saw");
        Texts(chart).ShouldContain("backend logged");
        Texts(chart).ShouldContain("proxy sent");
        MarksStayInside(chart, chart.GetProperty("bars").EnumerateArray().Select(b => b.GetProperty("box")));
    }

    private static void RateShowsEveryBackendOverTheTimeline(JsonElement chart, int seconds)
    {
        var lines = chart.GetProperty("lines").EnumerateArray().ToList();
        // all, b1, b2, b3, errors: each with a vertex per second of the timeline, drawn across the chart.
        lines.Count.ShouldBe(2 + SampleRun.BackendIds.Length);
        lines.ShouldAllBe(l => l.GetProperty("points").GetInt32() == seconds);
        // The x axis runs from 0 to the last point's second over the 546 px plot; the first point is at 1 s.
        var timeline = SampleRun.Timeline();
        var expectedWidth = 546 * (timeline[^1].Second - timeline[0].Second) / timeline[^1].Second;
        lines.ShouldAllBe(l => Math.Abs(l.GetProperty("bboxWidth").GetDouble() - expectedWidth) < 0.5);
        var texts = Texts(chart);
        foreach (var legend in SampleRun.BackendIds.Append("all").Append("errors").Append("b2 down").Append("b2 up"))
        {
            texts.ShouldContain(legend);
        }

        MarksStayInside(chart, lines.Select(l => l.GetProperty("box")));
    }

    private static void PercentileCurveShowsEveryPoint(JsonElement chart, int points)
    {
        var dots = chart.GetProperty("dots").EnumerateArray().ToList();
        dots.Count.ShouldBe(points);
        dots.ShouldAllBe(d => d.GetProperty("width").GetDouble() > 0 && d.GetProperty("height").GetDouble() > 0);
        chart.GetProperty("lines").EnumerateArray().Single().GetProperty("points").GetInt32().ShouldBe(points);
        MarksStayInside(chart, dots);
    }

    private static List<string> Texts(JsonElement chart) => [.. chart.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!)];

    /// <summary>
    /// Every mark is drawn within the plot area: below the title (the y axis reaches above the
    /// data) and above the chart's bottom. 3 px of slack for a dot's radius.
    /// </summary>
    private static void MarksStayInside(JsonElement chart, IEnumerable<JsonElement> boxes)
    {
        const double PlotTop = 36, Slack = 3;
        var svg = chart.GetProperty("box");
        var top = svg.GetProperty("y").GetDouble() + PlotTop - Slack;
        var bottom = svg.GetProperty("y").GetDouble() + svg.GetProperty("height").GetDouble();
        foreach (var box in boxes)
        {
            box.GetProperty("y").GetDouble().ShouldBeGreaterThanOrEqualTo(top);
            (box.GetProperty("y").GetDouble() + box.GetProperty("height").GetDouble()).ShouldBeLessThanOrEqualTo(bottom);
        }
    }
}
