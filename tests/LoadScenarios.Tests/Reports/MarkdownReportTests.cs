using RoundRobinLab.Scenarios.Reports;
using RoundRobinLab.Scenarios.Thresholds;

namespace RoundRobinLab.Scenarios.Tests.Reports;

public sealed class MarkdownReportTests
{
    private static string[] Lines(ReportModel report) => MarkdownReport.Render(report).Split('\n', StringSplitOptions.TrimEntries);

    [Fact]
    public void Render_SampleRun_HeadsWithTheVerdictAndSummarisesTheRun()
    {
        var lines = Lines(ReportModel.From(SampleRun.Result()));

        lines[0].ShouldBe("# backend-dies: FAILED");
        lines.ShouldContain("- Measured: 5 s, 1000 requests, 200 req/s, 5 errors");
        lines.ShouldContain("- Errors by kind: Timeout 1, ServerError 4");
        lines.ShouldContain("- Events: b2 down at 2 s, b2 up at 4 s");
        lines.ShouldContain("- Status codes: 200 × 995, 502 × 4");
        lines.ShouldContain(l => l.StartsWith("- Latency (ms): p50 25", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_SampleRun_HasOneTableRowPerBackend()
    {
        var rows = Lines(ReportModel.From(SampleRun.Result())).Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\| b[0-9]+ \|")).ToList();

        rows.ShouldBe(
        [
            "| b1 | 532 | 532 | 532 | 38.14% |",
            "| b2 | 334 | 335 | 339 | 23.94% |",
            "| b3 | 529 | 529 | 529 | 37.92% |",
        ]);
    }

    [Fact]
    public void Render_SampleRun_GivesEveryThresholdItsVerdictActualAndReason()
    {
        var result = SampleRun.Result();
        var lines = Lines(ReportModel.From(result));

        var reasons = result.Thresholds.ToDictionary(t => t.Threshold, t => t.Reason);
        lines.ShouldContain($"| **FAIL** | `errorcount==0` | 5 | {reasons["errorcount==0"]} |");
        lines.ShouldContain($"| pass | `survivorexcess<=0` | 0 | {reasons["survivorexcess<=0"]} |");
        lines.ShouldContain($"| pass | `rejoined>0` | 67 | {reasons["rejoined>0"]} |");
    }

    [Fact]
    public void Render_ExternalTarget_ShowsDashesForCountsItCannotHaveAndNoDataForNaN()
    {
        var report = ReportModel.From(SampleRun.Result()) with
        {
            Backends = [new BackendRow("b1", 10, null, null, 100)],
            Thresholds = [Threshold.Parse("mismatch==0").Evaluate(new Dictionary<string, double>())],
            Passed = false,
        };

        var lines = Lines(report);

        lines.ShouldContain("| b1 | 10 | – | – | 100.00% |");
        lines.ShouldContain("| **FAIL** | `mismatch==0` | no data |  |");
    }
}
