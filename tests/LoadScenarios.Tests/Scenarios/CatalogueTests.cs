using System.Text.RegularExpressions;
using RoundRobinLab.Scenarios.Scenarios;
using RoundRobinLab.Scenarios.Tests.Reports;
using RoundRobinLab.Scenarios.Thresholds;

namespace RoundRobinLab.Scenarios.Tests.Scenarios;

public sealed partial class CatalogueTests
{
    public static TheoryData<string> Names() => [.. Catalogue.All.Select(s => s.Name)];

    /// <summary>
    /// The actions' times. The actions only use the lab when they run, so listing them needs none;
    /// a scenario that touched the lab while listing would fail here with a NullReferenceException.
    /// </summary>
    private static TimeSpan[] ActionTimes(Scenario scenario) => [.. scenario.Actions(null!).Select(a => a.At)];

    [Fact]
    public void All_NamesAreUniqueLowerCaseWords()
    {
        var names = Catalogue.All.Select(s => s.Name).ToList();

        // Find ignores case, so two names differing only in case would hide one another.
        names.Distinct(StringComparer.OrdinalIgnoreCase).Count().ShouldBe(names.Count);
        names.ShouldAllBe(n => NamePattern().IsMatch(n));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Scenario_EveryThresholdNamesAMetricItsRunWillHave(string name)
    {
        var scenario = Catalogue.Find(name)!;
        // A scenario's own metrics, computed from a result the shape of a real one.
        var own = scenario.ExtraMetrics(SampleRun.Result()).Keys;

        foreach (var threshold in scenario.Thresholds)
        {
            (Threshold.IsStandard(threshold.Metric) || own.Contains(threshold.Metric)).ShouldBeTrue(
                $"'{threshold.Text}' names '{threshold.Metric}': neither a standard metric nor one of {name}'s own ({string.Join(", ", own)}); it could never pass");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Scenario_EveryThresholdSaysWhyItHolds(string name)
    {
        var scenario = Catalogue.Find(name)!;

        scenario.Thresholds.ShouldAllBe(t => t.Reason.Length > 20);
        // Written as on the command line: reading the text again gives the same threshold.
        scenario.Thresholds.ShouldAllBe(t => Threshold.Parse(t.Text, t.Reason) == t);
        // A scenario without thresholds always passes; only the probe is meant to.
        (scenario.Thresholds.Count > 0 || name == "probe").ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Scenario_NamesOnlyBackendsItsFleetHas(string name)
    {
        var scenario = Catalogue.Find(name)!;
        var setup = scenario.Setup;
        var fleet = Enumerable.Range(1, setup.Backends).Select(i => $"b{i}").ToList();

        (scenario.EvenAmong ?? []).ShouldBeSubsetOf(fleet);
        setup.Profiles.Backends.Keys.ShouldBeSubsetOf(fleet);
        (setup.Weights?.Count ?? setup.Backends).ShouldBe(setup.Backends);
        (setup.ProxyBackends ?? setup.Backends).ShouldBeInRange(1, setup.Backends);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Scenario_ActsWithinItsMeasuredPhase(string name)
    {
        var scenario = Catalogue.Find(name)!;

        ActionTimes(scenario).ShouldAllBe(at => at > TimeSpan.Zero && at < scenario.Simulation.Duration);
    }

    [Fact]
    public void CiSet_NamesDistinctScenariosOfTheCatalogue()
    {
        var names = Catalogue.CiSet.Select(c => c.Name).ToList();

        names.Distinct().Count().ShouldBe(names.Count);
        names.ShouldAllBe(n => Catalogue.Find(n) != null);
    }

    [Fact]
    public void CiSet_ShortensNoScenarioBelowItsLastAction()
    {
        foreach (var (name, duration) in Catalogue.CiSet)
        {
            var last = ActionTimes(Catalogue.Find(name)!).DefaultIfEmpty(TimeSpan.Zero).Max();
            // Its thresholds read seconds after the last action (rejoined, recovered): at least 2 s of them.
            (duration - last).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(2), $"{name}: {duration.TotalSeconds} s in CI, last action at {last.TotalSeconds} s");
        }
    }

    [Fact]
    public void CiSet_MeasuresUnderAMinuteInAll() =>
        Catalogue.CiSet.Sum(c => c.Duration.TotalSeconds).ShouldBeLessThanOrEqualTo(60);

    [Theory]
    [InlineData("steady")]
    [InlineData("STEADY")]
    [InlineData("Backend-Dies")]
    public void Find_IgnoresCase(string name) => Catalogue.Find(name).ShouldNotBeNull().Name.ShouldBe(name.ToLowerInvariant());

    [Fact]
    public void Find_UnknownName_IsNull() => Catalogue.Find("no-such-scenario").ShouldBeNull();

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex NamePattern();
}
