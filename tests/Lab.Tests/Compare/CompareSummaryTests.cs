using System.Xml.Linq;
using RoundRobinLab.Lab.Compare;

namespace RoundRobinLab.Lab.Tests.Compare;

public sealed class CompareSummaryTests
{
    private static CompareRound Round(string load, int threads, int round, string proxy, double rps, double p99, double cpuSeconds, long requests) =>
        new(load, threads, round, proxy, new WrkResult(rps, requests, 0.5, p99, 0, 0), cpuSeconds, 20);

    private static readonly CompareRound[] s_rounds =
    [
        // Three rounds per proxy; the medians are the middle values whatever the order.
        Round("small-c50", 1, 1, "rrproxy", 80_000, 2.0, 2.0, 100_000),
        Round("small-c50", 1, 2, "rrproxy", 90_000, 1.0, 3.0, 100_000),
        Round("small-c50", 1, 3, "rrproxy", 70_000, 3.0, 4.0, 100_000),
        Round("small-c50", 1, 1, "nginx", 100_000, 1.0, 1.0, 100_000),
        Round("small-c50", 1, 2, "nginx", 100_000, 1.0, 2.0, 100_000),
        Round("small-c50", 1, 3, "nginx", 100_000, 1.0, 1.5, 100_000),
        Round("small-c50", 1, 1, "haproxy", 50_000, 4.0, 1.0, 100_000),
        Round("https-c50", 1, 1, "rrproxy", 40_000, 2.0, 1.0, 50_000),
        Round("https-c50", 1, 1, "nginx", 50_000, 1.0, 1.0, 50_000),
    ];

    [Fact]
    public void Rows_TakeTheMedianOfEachMeasureAndTheRatioToNginx()
    {
        var rows = CompareSummary.Rows(s_rounds);

        var rrproxy = rows.Single(r => r.Group == "small-c50/t1" && r.Proxy == "rrproxy");
        rrproxy.RequestsPerSecond.ShouldBe(80_000);
        rrproxy.RpsVsNginx.ShouldBe(0.8);
        rrproxy.P99Ms.ShouldBe(2.0);
        rrproxy.P99VsNginx.ShouldBe(2.0);
        // CPU per request: 3 s over 100,000 requests = 30 µs, against nginx's 15 µs.
        rrproxy.CpuMicros.ShouldBe(30, 1e-9);
        rrproxy.CpuVsNginx.ShouldBe(2.0, 1e-9);
    }

    [Fact]
    public void Markdown_AProxyLeftOutOfALoad_GetsARowOfDashes()
    {
        var markdown = CompareSummary.Markdown(CompareSummary.Rows(s_rounds));

        markdown.ShouldContain("| https-c50/t1 | haproxy | – | – | – | – | – | – | – | – |");
        markdown.ShouldContain("| small-c50/t1 | rrproxy | 80000 | 0.80× |");
        markdown.Split('\n').Count(line => line.StartsWith("| small-c50/t1", StringComparison.Ordinal)).ShouldBe(3);
    }

    [Fact]
    public void Chart_IsWellFormedSvg_WithOneBarPerMeasuredProxyAndLoad()
    {
        var svg = XDocument.Parse(CompareSummary.Chart(CompareSummary.Rows(s_rounds)));

        XNamespace ns = "http://www.w3.org/2000/svg";
        // Bars carry a tooltip; the legend's squares do not.
        svg.Descendants(ns + "rect").Count(r => r.Element(ns + "title") is not null).ShouldBe(5);
        svg.Descendants(ns + "text").Select(t => t.Value).ShouldContain("nginx = 1");
        svg.Descendants(ns + "text").Select(t => t.Value).ShouldContain("0.80");
    }
}
