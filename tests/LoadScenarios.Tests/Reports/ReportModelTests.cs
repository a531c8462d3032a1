using System.Text.Json;
using RoundRobinLab.Scenarios.Reports;
using RoundRobinLab.Scenarios.Thresholds;

namespace RoundRobinLab.Scenarios.Tests.Reports;

public sealed class ReportModelTests
{
    [Fact]
    public void ToJson_SampleRun_HasTheFieldsReportJsonConsumersRead()
    {
        using var json = JsonDocument.Parse(ReportModel.From(SampleRun.Result()).ToJson());
        var root = json.RootElement;

        root.GetProperty("scenario").GetString().ShouldBe(SampleRun.ScenarioName);
        root.GetProperty("requests").GetInt64().ShouldBe(1000);
        root.GetProperty("requestsPerSecond").GetDouble().ShouldBe(200);
        root.GetProperty("measuredSeconds").GetDouble().ShouldBe(5);
        root.GetProperty("errors").GetInt64().ShouldBe(5);
        root.GetProperty("passed").GetBoolean().ShouldBeFalse();

        // HdrHistogram keeps 3 significant digits: a value reads back within 0.1% above itself.
        var latency = root.GetProperty("latency");
        latency.GetProperty("p50Ms").GetDouble().ShouldBe(25, tolerance: 0.03);
        latency.GetProperty("p99Ms").GetDouble().ShouldBe(49.5, tolerance: 0.05);
        root.GetProperty("metrics").GetProperty("p99").GetDouble().ShouldBe(49.5, tolerance: 0.05);

        // Kinds that did not happen are left out; statuses are keyed by their number.
        root.GetProperty("errorsByKind").EnumerateObject().Select(p => (p.Name, p.Value.GetInt64()))
            .ShouldBe([("Timeout", 1L), ("ServerError", 4L)], ignoreOrder: true);
        root.GetProperty("statusCodes").EnumerateObject().Select(p => (p.Name, p.Value.GetInt64()))
            .ShouldBe([("200", 995L), ("502", 4L)]);

        var verdicts = root.GetProperty("thresholds").EnumerateArray()
            .Select(t => (t.GetProperty("threshold").GetString(), t.GetProperty("actual").GetDouble(), t.GetProperty("passed").GetBoolean(), t.GetProperty("reason").GetString()!.Length > 0))
            .ToList();
        verdicts.ShouldBe(
        [
            ("errorcount==0", 5.0, false, true),
            ("survivorexcess<=0", 0.0, true, true),
            ("rejoined>0", 67.0, true, true),
        ]);
    }

    [Fact]
    public void From_SampleRun_GivesEveryBackendItsThreeCountsAndShare()
    {
        var report = ReportModel.From(SampleRun.Result());

        report.Backends.Select(b => (b.Backend, b.Client, b.Backends, b.Proxy)).ShouldBe(
        [
            ("b1", 532L, (long?)532, (long?)532),
            ("b2", 334L, (long?)335, (long?)339),
            ("b3", 529L, (long?)529, (long?)529),
        ]);

        // Shares are of every response the client saw (1395), rounded to two places.
        report.Backends.Select(b => b.SharePercent).ShouldBe([38.14, 23.94, 37.92]);
        report.Distribution.Spread.ShouldBe(3);
        report.Timeline.Count.ShouldBe(5);
        report.Events.Select(e => e.Label).ShouldBe(["b2 down", "b2 up"]);
    }

    [Fact]
    public void From_SampleRun_GivesAPercentileCurveThatNeverFalls()
    {
        var curve = ReportModel.From(SampleRun.Result()).PercentileCurve;

        curve.Count.ShouldBe(13);
        curve[0].Percentile.ShouldBe(0);
        curve[^1].Percentile.ShouldBe(100);
        curve.Zip(curve.Skip(1)).ShouldAllBe(pair => pair.Second.Ms >= pair.First.Ms);
        curve[^1].Ms.ShouldBe(49.95, tolerance: 0.05);
    }

    [Fact]
    public void ToJson_ThenDeserialize_RoundTripsEveryField()
    {
        var json = ReportModel.From(SampleRun.Result()).ToJson();

        var read = JsonSerializer.Deserialize(json, ReportJsonContext.Default.ReportModel)!;

        // The records hold lists and dictionaries, which compare by reference: compare the JSON.
        read.ToJson().ShouldBe(json);
        read.Timeline[2].Backends["b2"].ShouldBe(0);
        read.Latency.ShouldNotBeNull().P99Ms.ShouldBe(49.5, tolerance: 0.05);
    }

    [Fact]
    public void ToJson_ThresholdWithoutData_WritesNaNAndReadsItBack()
    {
        // Against an external target there are no backend-side counts, so "mismatch" has no value.
        var report = ReportModel.From(SampleRun.Result()) with
        {
            Thresholds = [Threshold.Parse("mismatch==0", "two views").Evaluate(new Dictionary<string, double>())],
        };

        var json = report.ToJson();
        var read = JsonSerializer.Deserialize(json, ReportJsonContext.Default.ReportModel)!;

        json.ShouldContain("\"actual\": \"NaN\"");
        double.IsNaN(read.Thresholds[0].Actual).ShouldBeTrue();
        read.Thresholds[0].Passed.ShouldBeFalse();
    }
}
