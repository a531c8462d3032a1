using RoundRobinLab.Scenarios.Engine;

namespace RoundRobinLab.Scenarios.Tests.Engine;

public sealed class LoadSimulationTests
{
    [Fact]
    public void DueTime_ConstantRate_IsEvenlySpaced()
    {
        var open = LoadSimulation.Rate(100, TimeSpan.FromSeconds(2));

        open.DueTime(0).ShouldBe(TimeSpan.Zero);
        open.DueTime(50).ShouldBe(TimeSpan.FromSeconds(0.5));
        open.DueTime(199)!.Value.TotalSeconds.ShouldBe(1.99, tolerance: 1e-9);
        open.DueTime(200).ShouldBeNull();
    }

    [Fact]
    public void DueTime_Ramp_SendsTheAreaUnderTheRateCurve()
    {
        // 0 → 100 req/s over 10 s: 500 requests in all, the first half-second sparse, the end dense.
        var ramp = LoadSimulation.Ramp(0, 100, TimeSpan.FromSeconds(10));

        ramp.DueTime(499).ShouldNotBeNull();
        ramp.DueTime(500).ShouldBeNull();
        ramp.DueTime(125)!.Value.TotalSeconds.ShouldBe(5, tolerance: 1e-9);
        var times = Enumerable.Range(0, 500).Select(n => ramp.DueTime(n)!.Value).ToArray();
        times.ShouldBe(times.Order());
    }

    [Fact]
    public void DueTime_FallingRamp_StaysFinite()
    {
        var ramp = LoadSimulation.Ramp(100, 0, TimeSpan.FromSeconds(10));

        Enumerable.Range(0, 499).Select(n => ramp.DueTime(n)).ShouldAllBe(t => t != null && t < TimeSpan.FromSeconds(10));
        ramp.DueTime(500).ShouldBeNull();
    }

    [Fact]
    public void UsersAt_RampsLinearly()
    {
        var closed = LoadSimulation.RampUsers(2, 10, TimeSpan.FromSeconds(8));

        closed.UsersAt(TimeSpan.Zero).ShouldBe(2);
        closed.UsersAt(TimeSpan.FromSeconds(4)).ShouldBe(6);
        closed.UsersAt(TimeSpan.FromSeconds(20)).ShouldBe(10);
    }

    [Theory]
    [InlineData(300, 300, 3)]
    [InlineData(50, 1000, 3)]
    [InlineData(100, 100, 7)]
    public void Segment_OpenModel_TheAgentsTogetherSendExactlyTheWholeSchedule(double from, double to, int agents)
    {
        var whole = LoadSimulation.Ramp(from, to, TimeSpan.FromSeconds(4));
        var expected = DueTimes(whole);

        var together = Enumerable.Range(0, agents).SelectMany(i => DueTimes((LoadSimulation.Open)whole.Segment(i, agents))).Order().ToList();

        together.ShouldBe(expected);
    }

    [Theory]
    [InlineData(20, 20, 3)]
    [InlineData(1, 10, 4)]
    [InlineData(2, 2, 5)]
    public void Segment_ClosedModel_SplitsTheUsersAsEvenlyAsWholeUsersAllow_AddingUp(int from, int to, int agents)
    {
        var whole = LoadSimulation.RampUsers(from, to, TimeSpan.FromSeconds(4));

        var segments = Enumerable.Range(0, agents).Select(i => (LoadSimulation.Closed)whole.Segment(i, agents)).ToList();

        segments.Sum(s => s.From).ShouldBe(from);
        segments.Sum(s => s.To).ShouldBe(to);
        (segments.Max(s => s.To) - segments.Min(s => s.To)).ShouldBeLessThanOrEqualTo(1);
    }

    [Fact]
    public void Segment_IndexOutsideTheAgents_Throws() =>
        Should.Throw<ArgumentOutOfRangeException>(() => LoadSimulation.Rate(10, TimeSpan.FromSeconds(1)).Segment(3, 3));

    private static List<TimeSpan> DueTimes(LoadSimulation.Open open)
    {
        var times = new List<TimeSpan>();
        for (long n = 0; open.DueTime(n) is { } due; n++)
        {
            times.Add(due);
        }

        return times;
    }
}
