using System.Text.RegularExpressions;
using System.Xml.Linq;
using RoundRobinLab.Scenarios.Reports;

namespace RoundRobinLab.Scenarios.Tests.Reports;

public sealed partial class HtmlReportTests
{
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";

    /// <summary>Each chart, parsed as XML: an SVG that is not well-formed fails here.</summary>
    private static List<XElement> Charts(string html) =>
        [.. SvgPattern().Matches(html).Select(m => XElement.Parse(m.Value))];

    private static string ChartTitle(XElement svg) => svg.Element(s_svg + "text")!.Value;

    [Fact]
    public void Render_SampleRun_IsSelfContained()
    {
        var html = HtmlReport.Render(ReportModel.From(SampleRun.Result()));

        // No script, stylesheet, image or font to fetch: the page opens from a CI artefact offline.
        html.ShouldNotContain("<script", Case.Insensitive);
        html.ShouldNotContain("<link", Case.Insensitive);
        html.ShouldNotContain("<img", Case.Insensitive);
        html.ShouldNotContain("url(", Case.Insensitive);
        html.ShouldNotContain("@import", Case.Insensitive);
        ReferencePattern().IsMatch(html).ShouldBeFalse();
        // The only URLs are the SVG namespace and the target, as text.
        UrlPattern().Matches(html).Select(m => m.Value).Distinct().Order(StringComparer.Ordinal)
            .ShouldBe(["http://127.0.0.1:8080/", "http://www.w3.org/2000/svg"]);
    }

    [Fact]
    public void Render_SampleRun_HasTheThreeChartsInOrder()
    {
        var charts = Charts(HtmlReport.Render(ReportModel.From(SampleRun.Result())));

        charts.Select(ChartTitle).ShouldBe(["Requests per backend (whole run)", "Rate over time", "Latency by percentile"]);
        charts.ShouldAllBe(c => c.Attribute("width")!.Value == "760" && c.Attribute("height")!.Value == "320");
    }

    [Fact]
    public void Render_SampleRun_RateChartHasALinePerBackendAllErrorsAndTheEvents()
    {
        var rate = Charts(HtmlReport.Render(ReportModel.From(SampleRun.Result())))[1];

        var lines = rate.Elements(s_svg + "polyline").ToList();
        // "all", b1..b3, and the dashed error line (there were errors).
        lines.Count.ShouldBe(5);
        lines.ShouldAllBe(l => l.Attribute("points")!.Value.Split(' ', StringSplitOptions.None).Length == SampleRun.Timeline().Count);
        lines[^1].Attribute("stroke-dasharray").ShouldNotBeNull();
        var texts = rate.Elements(s_svg + "text").Select(t => t.Value).ToList();
        texts.ShouldContain("b2 down");
        texts.ShouldContain("b2 up");
        foreach (var legend in new[] { "all", "b1", "b2", "b3", "errors" })
        {
            texts.ShouldContain(legend);
        }
    }

    [Fact]
    public void Render_SampleRun_BarChartHasThreeBarsPerBackendWithTheirCounts()
    {
        var bars = Charts(HtmlReport.Render(ReportModel.From(SampleRun.Result())))[0];

        // The legend's swatches are rects too, but without a tooltip.
        var tooltips = bars.Elements(s_svg + "rect").Select(r => r.Element(s_svg + "title")?.Value).OfType<string>().ToList();
        tooltips.Count.ShouldBe(9);
        tooltips.ShouldContain("b2, client saw: 334");
        tooltips.ShouldContain("b2, backend logged: 335");
        tooltips.ShouldContain("b2, proxy sent: 339");
    }

    [Fact]
    public void Render_SampleRun_ShowsTheVerdictAndEscapesText()
    {
        var report = ReportModel.From(SampleRun.Result()) with { Purpose = "<script>alert('x')</script> & more" };

        var html = HtmlReport.Render(report);

        html.ShouldContain("Failed: 2 of 3 thresholds hold");
        html.ShouldContain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more");
        html.ShouldNotContain("<script>");
    }

    [Fact]
    public void Render_NoTimelineNoLatency_LeavesThoseChartsOut()
    {
        // A run where every request failed to connect: counts only.
        var report = ReportModel.From(SampleRun.Result()) with { Timeline = [], PercentileCurve = [], Latency = null };

        var charts = Charts(HtmlReport.Render(report));

        charts.Select(ChartTitle).ShouldBe(["Requests per backend (whole run)"]);
    }

    [GeneratedRegex(@"<svg[\s\S]*?</svg>")]
    private static partial Regex SvgPattern();

    [GeneratedRegex(@"\b(src|href|xlink:href)\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex ReferencePattern();

    [GeneratedRegex(@"https?://[^\s""<);]+")]
    private static partial Regex UrlPattern();
}
