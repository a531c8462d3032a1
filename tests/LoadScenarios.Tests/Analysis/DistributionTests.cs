using RoundRobinLab.Scenarios.Analysis;

namespace RoundRobinLab.Scenarios.Tests.Analysis;

public sealed class DistributionTests
{
    [Fact]
    public void Of_EvenCounts_HasNoSpreadAndPValueOne()
    {
        var d = Distribution.Of(new Dictionary<string, long> { ["b1"] = 100, ["b2"] = 100, ["b3"] = 100 }, ["b1", "b2", "b3"]);

        d.Total.ShouldBe(300);
        d.Spread.ShouldBe(0);
        d.MaxRelativeDeviation.ShouldBe(0);
        d.ChiSquare.ShouldBe(0);
        d.PValue.ShouldBe(1);
    }

    [Fact]
    public void Of_UnevenCounts_GivesTheTextbookStatistics()
    {
        // Expected 10 each: χ² = (10² + 0 + 10²) / 10 = 20 with 2 df, whose tail is e^(−20/2).
        var d = Distribution.Of(new Dictionary<string, long> { ["b1"] = 20, ["b2"] = 10 }, ["b1", "b2", "b3"]);

        d.Counts["b3"].ShouldBe(0);
        d.Spread.ShouldBe(20);
        d.MaxRelativeDeviation.ShouldBe(1.0);
        d.ChiSquare.ShouldBe(20, tolerance: 1e-12);
        d.DegreesOfFreedom.ShouldBe(2);
        d.PValue.ShouldBe(Math.Exp(-10), tolerance: 1e-12);
    }

    [Theory]
    [InlineData(3.841459, 1, 0.05)]
    [InlineData(6.634897, 1, 0.01)]
    [InlineData(18.307038, 10, 0.05)]
    [InlineData(10.0, 10, 0.440493)]
    [InlineData(124.342113, 100, 0.05)]
    public void PValue_MatchesChiSquareTables(double statistic, int df, double expected) =>
        ChiSquare.PValue(statistic, df).ShouldBe(expected, tolerance: 1e-5);

    [Theory]
    [InlineData(1, 0)]
    [InlineData(5, 3.1780538303479458)]
    [InlineData(0.5, 0.5723649429247001)]
    [InlineData(100, 359.13420536957540)]
    public void LogGamma_MatchesKnownValues(double x, double expected) => ChiSquare.LogGamma(x).ShouldBe(expected, tolerance: 1e-9);

    [Fact]
    public void Of_AnUnexpectedBackend_StillCounts()
    {
        var d = Distribution.Of(new Dictionary<string, long> { ["b1"] = 5, ["stranger"] = 5 }, ["b1"]);

        d.Counts.Keys.ShouldBe(["b1", "stranger"], ignoreOrder: true);
        d.Total.ShouldBe(10);
    }

    [Fact]
    public void Of_WithWeights_MeasuresAgainstTheWeightedShares()
    {
        var d = Distribution.Of(new Dictionary<string, long> { ["b1"] = 300, ["b2"] = 200, ["b3"] = 100 }, ["b1", "b2", "b3"],
            new Dictionary<string, int> { ["b1"] = 3, ["b2"] = 2, ["b3"] = 1 });

        d.Weighted.ShouldBeTrue();
        d.MaxRelativeDeviation.ShouldBe(0);
        d.ChiSquare.ShouldBe(0);
        d.PValue.ShouldBe(1, tolerance: 1e-9);
        d.Spread.ShouldBe(200);
    }
}
