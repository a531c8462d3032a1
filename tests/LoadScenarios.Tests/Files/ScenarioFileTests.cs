using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Harness;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Expectations;
using RoundRobinLab.Scenarios.Files;
using RoundRobinLab.Scenarios.Scenarios;
using RoundRobinLab.Scenarios.Timeline;

namespace RoundRobinLab.Scenarios.Tests.Files;

public sealed class ScenarioFileTests
{
    private const string Valid = """
        name: chaos-test
        purpose: b2 resets, then heals.
        setup:
          backends: 3
          mode: lean
          proxyArgs: --max-fails 3 --eject-seconds 2
          weights: [1, 2, 1]
          profiles:
            default: { bodyBytes: 4096 }
            backends:
              b3: { errorRate: 0.5, errorStatus: 503 }
        load:
          rate: 150
          duration: 14s
          warmUp: 500ms
          newConnectionPerRequest: true
          clientTimeout: 3
        evenAmong: [b1, b3]
        thresholds:
          - threshold: transport==0
            reason: the proxy always answers
          - p99<1s
        timeline:
          - at 3s fault: b2 reset-peer toxicity 1.0
          - { at: 8s, name: healed, do: clear b2 }
          - "at 9s: drain b1"
        expectations:
          - expect: b2 out of rotation within 1s after fault
            reason: three resets eject it
          - b2 serves within 4s after healed
        """;

    private static ScenarioFileException Bad(string yaml) => Should.Throw<ScenarioFileException>(() => ScenarioFile.Parse(yaml, "x.yaml"));

    [Fact]
    public void Parse_ValidFile_GivesTheScenario()
    {
        var scenario = ScenarioFile.Parse(Valid, "chaos.yaml");

        scenario.Name.ShouldBe("chaos-test");
        scenario.Purpose.ShouldBe("b2 resets, then heals.");
        scenario.SourceFile.ShouldBe("chaos.yaml");
        scenario.Setup.Mode.ShouldBe(BackendMode.Lean);
        scenario.Setup.ProxyArgs.ShouldBe(["--max-fails", "3", "--eject-seconds", "2"]);
        scenario.Setup.Weights.ShouldBe([1, 2, 1]);
        scenario.Setup.NetworkFaults.ShouldBeTrue(); // the toxics ask for the relays
        scenario.Setup.Profiles.Default!.BodyBytes.ShouldBe(4096);
        scenario.Setup.Profiles.Backends["b3"].ErrorStatus.ShouldBe(503);
        scenario.Simulation.ShouldBe(LoadSimulation.Rate(150, TimeSpan.FromSeconds(14)));
        scenario.WarmUp.ShouldBe(TimeSpan.FromMilliseconds(500));
        scenario.NewConnectionPerRequest.ShouldBeTrue();
        scenario.ClientTimeout.ShouldBe(TimeSpan.FromSeconds(3));
        scenario.EvenAmong.ShouldBe(["b1", "b3"]);
        scenario.Thresholds.Select(t => (t.Text, t.Reason)).ShouldBe([("transport==0", "the proxy always answers"), ("p99<1s", "")]);
        scenario.Timeline.Select(e => (e.At.TotalSeconds, e.Name, e.Command.Kind)).ShouldBe(
            [(3, "fault", FleetCommandKind.Toxic), (8, "healed", FleetCommandKind.Clear), (9, null, FleetCommandKind.Drain)]);
        scenario.Expectations.Select(e => e.Kind).ShouldBe([ExpectationKind.OutOfRotation, ExpectationKind.Serves]);
        scenario.Expectations[0].Reason.ShouldBe("three resets eject it");
    }

    [Fact]
    public void Parse_Json_IsYamlToo()
    {
        var scenario = ScenarioFile.Parse("""{ "name": "j", "purpose": "p", "load": { "users": 4, "duration": 5 } }""", "j.json");

        scenario.Simulation.ShouldBe(LoadSimulation.Users(4, TimeSpan.FromSeconds(5)));
        scenario.Setup.NetworkFaults.ShouldBeFalse();
    }

    [Theory]
    [InlineData("name: a\npurpose: p\nload: { rate: 1, duration: 1 }\nsetup:\n  bakends: 3\n", "x.yaml:5: setup.bakends: unknown field")]
    [InlineData("name: a\npurpose: p\nload:\n  rate: fast\n  duration: 1\n", "x.yaml:4: load.rate: 'fast' is not a number")]
    [InlineData("name: a\npurpose: p\nload: { rate: 1 }\n", "x.yaml:3: load.duration: missing")]
    [InlineData("name: a\npurpose: p\nload: { rate: 1, users: 2, duration: 1 }\n", "x.yaml:3: load: give exactly one of rate")]
    [InlineData("name: a\npurpose: p\n", "x.yaml:1: load: missing")]
    [InlineData("name: A b\npurpose: p\nload: { rate: 1, duration: 1 }\n", "x.yaml:1: name: 'A b' is not a scenario name")]
    [InlineData("name: a\npurpose: p\nload: { rate: 1, duration: 1 }\ntimeline:\n  - at 2s: b2 melt\n", "x.yaml:5: timeline[0]: 'b2 melt': 'melt' is not a toxic")]
    [InlineData("name: a\npurpose: p\nload: { rate: 1, duration: 1 }\ntimeline:\n  - { at: 2s, do: b9 timeout 0 }\n", "x.yaml:5: timeline[0]: no backend 'b9' in a fleet of 3")]
    [InlineData("name: a\npurpose: p\nload: { rate: 1, duration: 1 }\ntimeline:\n  - { at: soon, do: clear b1 }\n", "x.yaml:5: timeline[0].at: 'soon' is not a time")]
    [InlineData("name: a\npurpose: p\nload: { rate: 1, duration: 1 }\nexpectations:\n  - b2 serves within 1s after healed\n", "x.yaml:5: expectations[0]: no timeline event named 'healed'")]
    [InlineData("name: a\npurpose: p\nload: { rate: 1, duration: 1 }\nexpectations:\n  - b2 is fine\n", "x.yaml:5: expectations[0]: expectation 'b2 is fine'")]
    [InlineData("name: a\npurpose: p\nload: { rate: 1, duration: 1 }\nthresholds:\n  - { threshold: p99 under 3 }\n", "x.yaml:5: thresholds[0]: threshold 'p99 under 3'")]
    [InlineData("name: a\npurpose: p\nload: { rate: 1, duration: 1 }\nsetup:\n  weights: [1, 2]\n", "x.yaml:5: setup.weights: 2 weights for 3 backends")]
    [InlineData("name: a\npurpose: p\nload: { rate: 1, duration: 1 }\nsetup:\n  profiles:\n    default: { errorRate: 7 }\n", "x.yaml:6: setup.profiles: default")]
    [InlineData("name: a\npurpose: p\nload: { rate: 1, duration: 1 }\nsetup:\n  tls: maybe\n", "x.yaml:5: setup.tls: 'maybe' is not true or false")]
    [InlineData("name: a\npurpose: [p\n", "x.yaml:")]
    public void Parse_BadInput_NamesFileLineAndField(string yaml, string message)
    {
        var error = Bad(yaml);

        error.Message.ShouldStartWith(message);
        error.Message.ShouldNotContain("\n");
    }

    [Fact]
    public void RepositoryScenarios_AllLoad_AndJoinTheCatalogue()
    {
        var all = Catalogue.WithFiles(Path.Combine(LabPaths.RepositoryRoot, "scenarios"));

        foreach (var name in new[] { "reset-mid-body", "slow-backend-network", "blackhole" })
        {
            var scenario = all.Single(s => s.Name == name);
            scenario.SourceFile.ShouldNotBeNull();
            scenario.Setup.NetworkFaults.ShouldBeTrue();
            scenario.Timeline.ShouldNotBeEmpty();
            scenario.Expectations.ShouldNotBeEmpty();
        }

        // The catalogue is the scenarios in code and every file there.
        all.Count.ShouldBe(Catalogue.InCode.Count + Directory.GetFiles(Path.Combine(LabPaths.RepositoryRoot, "scenarios"), "*.yaml").Length);
        Catalogue.All.Select(s => s.Name).ShouldBe(all.Select(s => s.Name));
        foreach (var name in new[] { "steady", "ramp", "keep-alive", "new-connection", "slow-backend", "probe" })
        {
            all.Single(s => s.Name == name).SourceFile.ShouldNotBeNull();
        }
    }

    [Fact]
    public void WithFiles_NameOfABuiltInScenario_IsRefused()
    {
        var directory = Directory.CreateTempSubdirectory("scenarios");
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, "s.yaml"), "name: backend-dies\npurpose: p\nload: { rate: 1, duration: 1 }\n");

            Should.Throw<ScenarioFileException>(() => Catalogue.WithFiles(directory.FullName)).Message.ShouldContain("'backend-dies' is taken by a built-in scenario");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
