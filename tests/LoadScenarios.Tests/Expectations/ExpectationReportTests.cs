using RoundRobinLab.Scenarios.Expectations;
using RoundRobinLab.Scenarios.Reports;
using RoundRobinLab.Scenarios.Scenarios;
using RoundRobinLab.Scenarios.Tests.Reports;
using RoundRobinLab.Scenarios.Timeline;

namespace RoundRobinLab.Scenarios.Tests.Expectations;

public sealed class ExpectationReportTests
{
    /// <summary>The sample run (b2 down at 2 s, up at 4 s) judged by a scenario whose timeline names those events.</summary>
    private static ScenarioResult Judged(params string[] expectations)
    {
        var scenario = Catalogue.Find(SampleRun.ScenarioName)! with
        {
            Timeline = [new TimelineEvent(TimeSpan.FromSeconds(2), "b2 down", null), new TimelineEvent(TimeSpan.FromSeconds(4), "b2 up", null)],
            Expectations = [.. expectations.Select(e => Expectation.Parse(e, "because"))],
        };
        return ScenarioRunner.Finish(scenario, SampleRun.Result());
    }

    [Fact]
    public void Finish_FailingExpectation_FailsTheRun()
    {
        var result = Judged("errors <= 0 from start to end", "b2 share >= 15% from start to end");

        result.Expectations.Select(e => e.Passed).ShouldBe([false, true]);
        result.Expectations[0].Measured.ShouldBe(5);
        result.Passed.ShouldBeFalse();
    }

    [Fact]
    public void Html_WithRotationSamples_DrawsALanePerBackendWithTheEvents()
    {
        var report = ReportModel.From(SampleRun.Result()) with
        {
            Rotation = [.. Enumerable.Range(0, 26).Select(i => new RotationSample(i * 0.2, new() { ["b1"] = true, ["b2"] = i * 0.2 is < 2 or >= 4, ["b3"] = true }))],
        };

        var html = HtmlReport.Render(report);

        var chart = System.Text.RegularExpressions.Regex.Match(html, "<svg[^>]*>(?:(?!</svg>).)*In rotation \\(proxy /stats\\)(?:(?!</svg>).)*</svg>").Value;
        chart.ShouldNotBeEmpty();
        System.Text.RegularExpressions.Regex.Count(chart, "<polyline").ShouldBe(3);
        chart.ShouldContain("b2 down");
        chart.ShouldContain("b2 up");
        HtmlReport.Render(ReportModel.From(SampleRun.Result())).ShouldNotContain("In rotation");
    }

    [Fact]
    public void Finish_PassingExpectations_KeepTheThresholdsVerdict()
    {
        var result = Judged("errors <= 5 from start to end");

        result.Expectations.ShouldHaveSingleItem().Passed.ShouldBeTrue();
        result.Passed.ShouldBe(result.Thresholds.All(t => t.Passed));
    }

    [Fact]
    public void Reports_ListEachExpectationWithVerdictMeasurementAndReason()
    {
        var report = ReportModel.From(Judged("errors <= 0 from start to end"));

        var markdown = MarkdownReport.Render(report);
        markdown.ShouldContain("## Expectations");
        markdown.ShouldContain("| **FAIL** | `errors <= 0 from start to end` | 5 | 5 errors in 1000 requests");
        var html = HtmlReport.Render(report);
        html.ShouldContain("<h2>Expectations</h2>");
        html.ShouldContain("<code>errors &lt;= 0 from start to end</code></td><td>5</td><td class=\"fail\">FAIL</td>");
        html.ShouldContain("because");
        report.ToJson().ShouldContain("\"expectations\": [");
    }
}
