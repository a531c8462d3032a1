using HdrHistogram;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Expectations;

namespace RoundRobinLab.Scenarios.Tests.Expectations;

public sealed class ExpectationTests
{
    /// <summary>
    /// A 10 s run: fault at 3.0 s, healed at 6.0 s. b2 leaves rotation at 3.4 s and is back at 7.2 s;
    /// per second 100 requests, b2 none from the 4 s point to the 7 s point, 5 errors in second 4.
    /// b1's latency is 2 ms before the fault and 200 ms from 3 s to 6 s.
    /// </summary>
    private static RunRecord Run(double leaves = 3.4, double back = 7.2, long errorsInSecond4 = 5, double slowMs = 200)
    {
        var timeline = Enumerable.Range(1, 10).Select(s => new TimelinePoint(s, 100, s == 4 ? errorsInSecond4 : 0, 1, 2, new Dictionary<string, long>
        {
            ["b1"] = 34,
            ["b2"] = s is >= 4 and <= 7 ? 0 : 33,
            ["b3"] = s is >= 4 and <= 7 ? 66 : 33,
        })).ToList();
        var rotation = Enumerable.Range(0, 50).Select(i => i * 0.2).Select(t => new RotationSample(t, new Dictionary<string, bool>
        {
            ["b1"] = true,
            ["b2"] = t < leaves || t >= back,
            ["b3"] = true,
        })).ToList();
        var latency = Enumerable.Range(0, 10).Select(s => new BackendInterval(s, 1, "b1", Histogram(s is >= 3 and < 6 ? slowMs : 2, 30))).ToList();
        return new RunRecord { Events = new() { ["fault"] = 3.0, ["healed"] = 6.0 }, Timeline = timeline, Rotation = rotation, Latency = latency };
    }

    private static LongHistogram Histogram(double ms, int count)
    {
        var histogram = new LongHistogram(ResponseRecorder.HighestLatencyMicros, 3);
        histogram.RecordValueWithCount((long)(ms * 1000), count);
        return histogram;
    }

    private static ExpectationResult Check(string text, RunRecord run) => Expectation.Parse(text, "why").Evaluate(run);

    [Fact]
    public void OutOfRotation_WithinTheBound_PassesWithTheDelay()
    {
        var result = Check("b2 out of rotation within 1s after fault", Run());

        result.Passed.ShouldBeTrue();
        result.Measured.ShouldBe(0.4, 1e-9);
        result.Measurement.ShouldContain("0.4 s after fault");
        result.Reason.ShouldBe("why");
    }

    [Fact]
    public void OutOfRotation_TooLate_Fails() =>
        Check("b2 out of rotation within 1s after fault", Run(leaves: 4.6)).Passed.ShouldBeFalse();

    [Fact]
    public void OutOfRotation_Never_FailsSayingSo()
    {
        var result = Check("b2 out of rotation within 1s after fault", Run(leaves: 99));

        result.Passed.ShouldBeFalse();
        result.Measured.ShouldBe(double.NaN);
        result.Measurement.ShouldContain("stayed in rotation");
    }

    [Fact]
    public void InRotation_AfterHealed_MeasuresFromTheEvent()
    {
        Check("b2 in rotation within 2s after healed", Run()).Measured.ShouldBe(1.2, 1e-9);
        Check("b2 in rotation within 1s after healed", Run()).Passed.ShouldBeFalse();
    }

    [Fact]
    public void Serves_UsesTheFirstSecondWhollyAfterTheEvent()
    {
        // b2 serves again in the second ending at 8 s: the first one starting at or after 6 s with b2 > 0.
        var result = Check("b2 serves within 3s after healed", Run());

        result.Passed.ShouldBeTrue();
        result.Measured.ShouldBe(2, 1e-9);
        Check("b2 serves within 1.5s after healed", Run()).Passed.ShouldBeFalse();
    }

    [Fact]
    public void Errors_BetweenEvents_CountsTheOverlappingSeconds()
    {
        // The seconds ending 4, 5 and 6 overlap 3.0-6.0: 300 requests, 5 errors.
        var result = Check("errors < 2% from fault to healed", Run());

        result.Passed.ShouldBeTrue();
        result.Measured.ShouldBe(100.0 * 5 / 300, 1e-9);
        Check("errors < 1% from fault to healed", Run()).Passed.ShouldBeFalse();
        Check("errors <= 0 from fault to healed", Run()).Passed.ShouldBeFalse();
        Check("errors <= 0 from fault to healed", Run(errorsInSecond4: 0)).Passed.ShouldBeTrue();
    }

    [Fact]
    public void LatencyRises_AgainstTheBackendBeforeTheFirstEvent()
    {
        var result = Check("b1 p99 rises 10x from fault to healed", Run());

        result.Passed.ShouldBeTrue();
        result.Measured.ShouldBe(100, 1);
        Check("b1 p99 rises 10x from fault to healed", Run(slowMs: 4)).Passed.ShouldBeFalse();
    }

    [Fact]
    public void Latency_Absolute_ForOneBackendOrAll()
    {
        Check("b1 p99 > 100ms from fault to healed", Run()).Passed.ShouldBeTrue();
        Check("b1 p99 > 100ms from fault to healed", Run(slowMs: 4)).Passed.ShouldBeFalse();
        Check("max < 1s from start to end", Run()).Passed.ShouldBeTrue();
        Check("max < 100ms from start to end", Run()).Passed.ShouldBeFalse();
    }

    [Fact]
    public void Share_WhileOut_IsZero()
    {
        var result = Check("b2 share <= 1% from 3.5s to 5.5s", Run());

        result.Passed.ShouldBeTrue();
        result.Measured.ShouldBe(0);
        Check("b1 share >= 30% from fault to healed", Run()).Passed.ShouldBeTrue();
    }

    [Fact]
    public void MissingEvent_FailsWithNoData()
    {
        var run = Run() with { Events = new() { ["fault"] = 3.0 } };

        var result = Check("b2 serves within 3s after healed", run);

        result.Passed.ShouldBeFalse();
        result.Measurement.ShouldContain("'healed' did not happen");
    }

    [Theory]
    [InlineData("b2 leaves soon")]
    [InlineData("errors < lots from fault to healed")]
    [InlineData("b2 out of rotation within 1s")]
    public void Parse_BadSentence_ListsTheForms(string text) =>
        Should.Throw<FormatException>(() => Expectation.Parse(text)).Message.ShouldContain("B out of rotation within 1s after EVENT");

    [Fact]
    public void EventNames_LeaveOutStartEndAndTimes() =>
        Expectation.Parse("errors < 1% from fault to end").EventNames().ShouldBe(["fault"]);
}
