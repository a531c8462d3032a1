using System.Globalization;
using System.Xml.Linq;
using RoundRobinLab.Scenarios.Reports;

namespace RoundRobinLab.Scenarios.Tests.Reports;

public sealed class SvgChartTests
{
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";

    private static SvgChart Chart() => new("Title & <more>", 0, 10, 0, 100, "x", "y");

    private static string Render(SvgChart chart) => chart.Render([(0, "0"), (10, "10")], [(0, "0"), (50, "50"), (100, "100")]);

    [Fact]
    public void Render_EveryKindOfMark_IsWellFormedXmlWithOnePolylinePerSeries()
    {
        var chart = Chart();
        chart.Line([(0, 10), (5, 50), (10, 90)], SvgChart.Palette[0], "a < b");
        chart.Line([(0, 20), (5, 60), (10, 80)], SvgChart.Palette[1], "b & c");
        chart.Line([(0, 0), (5, 5), (10, 0)], "#dc2626", "errors", dashed: true);
        chart.Dots([(5, 50, "p50: \"50\" ms")], SvgChart.Palette[0]);
        chart.Bar(2, 1, 70, SvgChart.Palette[2], "b1 <client>");
        chart.VerticalMarker(4, "b2 down & out");

        var svg = XElement.Parse(Render(chart));

        svg.Name.ShouldBe(s_svg + "svg");
        svg.Elements(s_svg + "polyline").Count().ShouldBe(3);
        svg.Elements(s_svg + "circle").Count().ShouldBe(1);
        svg.Elements(s_svg + "text").Select(t => t.Value).ShouldContain("b2 down & out");
        svg.Elements(s_svg + "text").Select(t => t.Value).ShouldContain("Title & <more>");
    }

    [Fact]
    public void Render_SameLabelTwice_ShowsOneLegendEntry()
    {
        var chart = Chart();
        chart.Line([(0, 1), (10, 2)], SvgChart.Palette[0], "b1");
        chart.Line([(0, 3), (10, 4)], SvgChart.Palette[0], "b1");
        chart.Legend("b2", SvgChart.Palette[1]);

        var svg = XElement.Parse(Render(chart));

        // Legend swatches are the 12×12 rects; the only ones in a chart without bars.
        svg.Elements(s_svg + "rect").Count().ShouldBe(2);
        svg.Elements(s_svg + "polyline").Count().ShouldBe(2);
    }

    [Fact]
    public void XAndY_MapTheDomainCornersToThePlotArea()
    {
        var chart = Chart();

        // 64 px left and 150 px right (the legend) of margin; 36 above, 44 below; SVG y grows downwards.
        chart.X(0).ShouldBe(64);
        chart.X(10).ShouldBe(SvgChart.Width - 150);
        chart.Y(0).ShouldBe(SvgChart.Height - 44);
        chart.Y(100).ShouldBe(36);
        chart.Y(50).ShouldBe((36 + SvgChart.Height - 44) / 2.0);
    }

    [Fact]
    public void Line_UnderACommaDecimalCulture_StillWritesDotDecimals()
    {
        var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = ",";
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = comma;
        try
        {
            var chart = Chart();
            chart.Line([(0.33, 10.5), (9.77, 77.7)], SvgChart.Palette[0], "a");

            var points = XElement.Parse(Render(chart)).Element(s_svg + "polyline")!.Attribute("points")!.Value;

            points.ShouldNotContain(";");
            points.Split(' ').Select(p => p.Split(',')).ShouldAllBe(xy => xy.Length == 2);
            points.ShouldContain(".");
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(110)]
    [InlineData(1234.5)]
    [InlineData(0.042)]
    public void NiceTicks_StartAtZeroAndEndAtOrJustAboveTheMax_InRoundSteps(double max)
    {
        var ticks = SvgChart.NiceTicks(max);

        ticks[0].ShouldBe(0);
        var step = ticks[1] - ticks[0];
        // The last tick is the first multiple of the step at or above the max (110 gives 0..125 in
        // 25s): a line at the data's maximum never rises above the axis into the title.
        ticks[^1].ShouldBeInRange(max, max + step);
        ticks.Count.ShouldBeInRange(3, 7);
        var mantissa = step / Math.Pow(10, Math.Floor(Math.Log10(step)));
        new[] { 1, 2, 2.5, 5 }.ShouldContain(m => Math.Abs(m - mantissa) < 1e-6);
        ticks.Zip(ticks.Skip(1)).ShouldAllBe(pair => Math.Abs(pair.Second - pair.First - step) < step * 1e-6);
    }

    [Fact]
    public void NiceTicks_NothingToShow_GivesAUnitAxis() => SvgChart.NiceTicks(0).ShouldBe([0, 1]);
}
