using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Reports;
using RoundRobinLab.Scenarios.Scenarios;
using RoundRobinLab.Scenarios.Thresholds;

namespace RoundRobinLab.Scenarios.Tests.Scenarios;

public sealed class ScenarioRunnerTests
{
    private static RunSettings Settings() => new() { ProxyBinary = "unused", ReportDirectory = "unused" };

    private static Scenario Named(string name) => Catalogue.Find(name)!;

    [Theory]
    [InlineData("keep-alive")]
    [InlineData("ramp")]
    [InlineData("steady")]
    public void WithSettings_Rate_MakesTheLoadOpenAtThatRate_ForTheScenariosDuration(string name)
    {
        var scenario = Named(name);

        var changed = ScenarioRunner.WithSettings(scenario, Settings() with { Rate = 750 });

        changed.Simulation.ShouldBe(new LoadSimulation.Open(750, 750, scenario.Simulation.Duration));
    }

    [Theory]
    [InlineData("steady")]
    [InlineData("ramp")]
    [InlineData("keep-alive")]
    public void WithSettings_Users_MakesTheLoadClosedWithThatManyUsers(string name)
    {
        var scenario = Named(name);

        var changed = ScenarioRunner.WithSettings(scenario, Settings() with { Users = 5 });

        changed.Simulation.ShouldBe(new LoadSimulation.Closed(5, 5, scenario.Simulation.Duration));
    }

    [Fact]
    public void WithSettings_ExtraProxyArgs_ComeAfterTheScenariosOwn()
    {
        var changed = ScenarioRunner.WithSettings(Named("backend-dies"), Settings() with { ExtraProxyArgs = ["--max-fails", "1000"] });

        changed.Setup.ProxyArgs.ShouldBe(["--eject-seconds", "1", "--max-fails", "1000"]);
    }

    [Fact]
    public void SetupFor_TimelineWithAToxic_TurnsTheRelaysOn()
    {
        var steady = Named("steady");

        ScenarioRunner.SetupFor(steady with { Timeline = [RoundRobinLab.Scenarios.Timeline.TimelineEvent.Parse("at 1s: b2 timeout 0")] }).NetworkFaults.ShouldBeTrue();
        ScenarioRunner.SetupFor(steady with { Timeline = [RoundRobinLab.Scenarios.Timeline.TimelineEvent.Parse("at 1s: b2 down")] }).NetworkFaults.ShouldBeFalse();
    }

    [Fact]
    public void WithSettings_RateAndUsers_RateWins() =>
        ScenarioRunner.WithSettings(Named("keep-alive"), Settings() with { Rate = 100, Users = 5 }).Simulation.ShouldBeOfType<LoadSimulation.Open>();

    [Fact]
    public void WithSettings_DurationOnly_KeepsTheShapeOfTheLoad()
    {
        var duration = TimeSpan.FromSeconds(3);

        var ramp = ScenarioRunner.WithSettings(Named("ramp"), Settings() with { Duration = duration });
        var users = ScenarioRunner.WithSettings(Named("keep-alive"), Settings() with { Duration = duration });
        var rate = ScenarioRunner.WithSettings(Named("steady"), Settings() with { Duration = duration, Rate = 40 });

        ramp.Simulation.ShouldBe(new LoadSimulation.Open(50, 1000, duration));
        users.Simulation.ShouldBe(new LoadSimulation.Closed(16, 16, duration));
        rate.Simulation.ShouldBe(new LoadSimulation.Open(40, 40, duration));
    }

    [Fact]
    public void WithSettings_WarmUp_ReplacesTheScenarios_AndWithoutItTheScenariosStays()
    {
        ScenarioRunner.WithSettings(Named("steady"), Settings() with { WarmUp = TimeSpan.FromSeconds(7) }).WarmUp.ShouldBe(TimeSpan.FromSeconds(7));
        // hung-backend has no warm-up on purpose (its ejection must fall in the measured phase).
        ScenarioRunner.WithSettings(Named("hung-backend"), Settings()).WarmUp.ShouldBe(TimeSpan.Zero);
        ScenarioRunner.WithSettings(Named("steady"), Settings()).WarmUp.ShouldBe(Named("steady").WarmUp);
    }

    [Fact]
    public void WithSettings_ExtraThresholds_AreAddedAfterTheScenarios_LeavingTheCatalogueAlone()
    {
        var scenario = Named("steady");
        var own = scenario.Thresholds.ToList();
        var extra = Threshold.Parse("p99<5ms", "given on the command line");

        var changed = ScenarioRunner.WithSettings(scenario, Settings() with { ExtraThresholds = [extra] });

        changed.Thresholds.ShouldBe([.. own, extra]);
        Named("steady").Thresholds.ShouldBe(own);
    }

    [Fact]
    public void WithSettings_Nothing_LeavesTheScenarioAsItIs()
    {
        var scenario = Named("backend-dies");

        var same = ScenarioRunner.WithSettings(scenario, Settings());

        same.Simulation.ShouldBe(scenario.Simulation);
        same.WarmUp.ShouldBe(scenario.WarmUp);
        same.Thresholds.ShouldBe(scenario.Thresholds);
        same.Name.ShouldBe(scenario.Name);
    }

    [Fact]
    public async Task RunAsync_ExternalTarget_AppliesTheOverridesAndEvaluatesTheThresholds()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var target = builder.Build();
        long served = 0;
        target.Run(context =>
        {
            // Two "backends" in strict turn, as a round-robin proxy would answer.
            context.Response.Headers["X-Backend-Id"] = Interlocked.Increment(ref served) % 2 == 0 ? "a" : "b";
            return context.Response.WriteAsync("ok");
        });
        await target.StartAsync();
        var directory = Directory.CreateTempSubdirectory("rrlab-run-");
        try
        {
            var settings = Settings() with
            {
                Target = new Uri(target.Urls.First()),
                Rate = 100,
                Duration = TimeSpan.FromSeconds(1),
                WarmUp = TimeSpan.Zero,
                ExtraThresholds = [Threshold.Parse("spread<=1"), Threshold.Parse("requests==100"), Threshold.Parse("mismatch==0")],
                ReportDirectory = Path.Combine(directory.FullName, "report"),
            };

            var result = await ScenarioRunner.RunAsync(Named("probe"), settings, progress: null, CancellationToken.None);

            result.Load.ShouldBe("open, 100 req/s for 1s");
            Directory.Exists(settings.ReportDirectory).ShouldBeTrue();
            result.Backends.ShouldBeNull();
            result.Thresholds.Select(t => (t.Threshold, t.Passed)).ShouldBe([("spread<=1", true), ("requests==100", true), ("mismatch==0", false)]);
            // No backend-side counts against an external target: "no data", not a pass.
            double.IsNaN(result.Thresholds[2].Actual).ShouldBeTrue();
            ReportModel.From(result).Backends.Select(b => (b.Backend, b.Client, b.Backends)).ShouldBe([("a", 50L, (long?)null), ("b", 50L, (long?)null)]);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
