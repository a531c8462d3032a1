using HdrHistogram;
using RoundRobinLab.Scenarios.Analysis;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Scenarios;
using RoundRobinLab.Scenarios.Tests.Reports;
using RoundRobinLab.Scenarios.Thresholds;

namespace RoundRobinLab.Scenarios.Tests.Scenarios;

public sealed class ScenarioMetricsTests
{
    private static ScenarioResult Result(RunOutcome outcome, Dictionary<string, long>? backends = null) => new()
    {
        Scenario = "test",
        Purpose = "test",
        Load = "test",
        Target = "http://127.0.0.1:1/",
        Started = DateTimeOffset.UnixEpoch,
        Outcome = outcome,
        Client = Distribution.Of(outcome.BackendsAllPhases, outcome.BackendsAllPhases.Keys),
        Backends = backends,
    };

    [Fact]
    public void Compute_SampleRun_GivesTheCountsRatesAndShares()
    {
        var metrics = ScenarioMetrics.Compute(SampleRun.Result());

        metrics["requests"].ShouldBe(1000);
        metrics["rps"].ShouldBe(200);
        // Errors as a percentage of every completed request, failures included: 5 of 1000.
        metrics["errors"].ShouldBe(0.5);
        metrics["errorcount"].ShouldBe(5);
        // Only the timeout got no HTTP answer; the 502s did.
        metrics["transport"].ShouldBe(1);
        metrics["status200"].ShouldBe(995);
        metrics["status502"].ShouldBe(4);
        metrics.ShouldNotContainKey("status503");
    }

    [Fact]
    public void Compute_SampleRun_MeasuresTheSpreadAmongTheEvenBackendsOnly()
    {
        // backend-dies shares evenly among b1 (532) and b3 (529); b2 was down for a while.
        var metrics = ScenarioMetrics.Compute(SampleRun.Result());

        metrics["spread"].ShouldBe(3);
        metrics["deviation"].ShouldBe(100 * 1.5 / 530.5, tolerance: 1e-9);
        // χ² = 2 × 1.5² / 530.5 ≈ 0.0085 with 1 degree of freedom: p = 2(1 − Φ(0.092)) ≈ 0.927.
        metrics["chi2p"].ShouldBe(0.9266, tolerance: 0.001);
    }

    [Fact]
    public void Compute_SampleRun_ReadsLatenciesInMilliseconds()
    {
        var metrics = ScenarioMetrics.Compute(SampleRun.Result());

        // 999 latencies 50 µs apart; HdrHistogram's 3 significant digits allow 0.1% above each.
        metrics["p50"].ShouldBe(25, tolerance: 0.03);
        metrics["p90"].ShouldBe(45, tolerance: 0.05);
        metrics["p99"].ShouldBe(49.5, tolerance: 0.05);
        metrics["p999"].ShouldBe(49.95, tolerance: 0.05);
        metrics["max"].ShouldBe(49.95, tolerance: 0.05);
        metrics["mean"].ShouldBe(25, tolerance: 0.03);
    }

    [Fact]
    public void Compute_NoAnswers_LeavesLatencyOutSoItsThresholdsFail()
    {
        // Every request failed to connect: no latency was recorded, and p99<20ms must not pass on a 0.
        var outcome = new RunOutcome
        {
            Latency = new LongHistogram(ResponseRecorder.HighestLatencyMicros, 3),
            Measured = TimeSpan.FromSeconds(1),
            Completed = 50,
            Bytes = 0,
            Errors = new() { [ErrorKind.Connect] = 50 },
            StatusCodes = [],
            BackendsAllPhases = [],
            Timeline = [],
            Events = [],
        };

        var metrics = ScenarioMetrics.Compute(Result(outcome));

        metrics.ShouldNotContainKey("p99");
        metrics.ShouldNotContainKey("max");
        metrics["errors"].ShouldBe(100);
        metrics["transport"].ShouldBe(50);
        Threshold.Parse("p99<20ms").Evaluate(metrics).Passed.ShouldBeFalse();
    }

    [Fact]
    public void Compute_NothingCompleted_HasNoErrorRateToDivideByZero()
    {
        var empty = new RunOutcome
        {
            Latency = new LongHistogram(ResponseRecorder.HighestLatencyMicros, 3),
            Measured = TimeSpan.Zero,
            Completed = 0,
            Bytes = 0,
            Errors = [],
            StatusCodes = [],
            BackendsAllPhases = [],
            Timeline = [],
            Events = [],
        };

        var metrics = ScenarioMetrics.Compute(Result(empty));

        metrics["errors"].ShouldBe(0);
        metrics["rps"].ShouldBe(0);
    }

    [Fact]
    public void Compute_ExternalTarget_HasNoMismatchToPassOn()
    {
        var metrics = ScenarioMetrics.Compute(Result(SampleRun.Outcome(), backends: null));

        double.IsNaN(metrics["mismatch"]).ShouldBeTrue();
        Threshold.Parse("mismatch==0").Evaluate(metrics).Passed.ShouldBeFalse();
    }

    [Fact]
    public void Compute_BackendsCountedAlike_HasNoMismatch() =>
        ScenarioMetrics.Compute(Result(SampleRun.Outcome(), SampleRun.ClientCounts()))["mismatch"].ShouldBe(0);

    [Fact]
    public void Mismatches_CountsBackendsEitherSideCountsDifferently_AMissingOneAsZero()
    {
        var client = new Dictionary<string, long> { ["b1"] = 10, ["b2"] = 9, ["b3"] = 0 };
        var backends = new Dictionary<string, long> { ["b1"] = 10, ["b2"] = 10, ["b4"] = 1 };

        // b2 differs, b4 only the backends saw; b3 is 0 on both sides.
        ScenarioMetrics.Mismatches(client, backends).ShouldBe(2);
    }

    [Fact]
    public void SpreadAmong_LooksOnlyAtTheNamedBackends()
    {
        var counts = new Dictionary<string, long> { ["b1"] = 100, ["b2"] = 3, ["b3"] = 98 };

        ScenarioMetrics.SpreadAmong(counts, "b1", "b3").ShouldBe(2);
        // A named backend that served nothing counts as 0.
        ScenarioMetrics.SpreadAmong(counts, "b1", "b4").ShouldBe(100);
    }
}
