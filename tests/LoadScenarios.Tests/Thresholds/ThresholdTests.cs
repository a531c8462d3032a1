using RoundRobinLab.Scenarios.Thresholds;

namespace RoundRobinLab.Scenarios.Tests.Thresholds;

public sealed class ThresholdTests
{
    private static readonly Dictionary<string, double> s_metrics = new()
    {
        ["p99"] = 19.5,
        ["errors"] = 0.05,
        ["errorcount"] = 3,
        ["spread"] = 1,
        ["rps"] = 5000,
    };

    [Theory]
    [InlineData("p99<20ms", true)]
    [InlineData("p99<19ms", false)]
    [InlineData("p99<0.02s", true)]
    [InlineData("p99<19000us", false)]
    [InlineData("errors<0.1%", true)]
    [InlineData("errors<0.01%", false)]
    [InlineData("errors<=3", true)]
    [InlineData("errors<3", false)]
    [InlineData("spread<=1", true)]
    [InlineData("spread<1", false)]
    [InlineData("rps>=5000", true)]
    [InlineData("rps>5000", false)]
    [InlineData("spread==1", true)]
    [InlineData(" p99 < 20 ms ", true)]
    public void Evaluate_PassesAndFailsWhenItShould(string text, bool passes)
    {
        var result = Threshold.Parse(text).Evaluate(s_metrics);

        result.Passed.ShouldBe(passes);
        result.Threshold.ShouldBe(text);
    }

    [Fact]
    public void Evaluate_MetricWithoutData_Fails()
    {
        var result = Threshold.Parse("mismatch==0").Evaluate(s_metrics);

        result.Passed.ShouldBeFalse();
        double.IsNaN(result.Actual).ShouldBeTrue();
    }

    [Theory]
    [InlineData("p99 20ms")]
    [InlineData("<20ms")]
    [InlineData("p99<fast")]
    [InlineData("p99<20min")]
    public void Parse_Malformed_SaysHowToWriteOne(string text) =>
        Should.Throw<ArgumentException>(() => Threshold.Parse(text)).Message.ShouldContain(text);

    [Theory]
    [InlineData("p99", true)]
    [InlineData("p9999", true)]
    [InlineData("status503", true)]
    [InlineData("errorcount", true)]
    [InlineData("survivorexcess", false)]
    public void IsStandard_KnowsTheMetricsEveryRunHas(string metric, bool standard) => Threshold.IsStandard(metric).ShouldBe(standard);
}
