using RoundRobinLab.Backends.Faults;
using RoundRobinLab.Backends.Profiles;

namespace RoundRobinLab.Backends.Tests.Faults;

/// <summary>Toxics in --profile files: read in Toxiproxy's shape, refused with the field named.</summary>
public sealed class ToxicProfileTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void Load_ReadsToxicsInTheDefaultAndPerBackend_InToxiproxysShape()
    {
        File.WriteAllText(_file, """
            {
              "default": { "toxics": [ { "type": "latency", "attributes": { "latency": 20, "jitter": 5 } } ] },
              "backends": {
                "b2": {
                  "toxics": [
                    // Toxiproxy's spelling is accepted beside the lab's.
                    { "name": "cut", "type": "limit_data", "stream": "upstream", "toxicity": 0.25, "attributes": { "bytes": 1024 } },
                    { "type": "slicer", "attributes": { "average_size": 64, "size_variation": 16, "delay": 500 } }
                  ]
                }
              }
            }
            """);

        var file = ProfileFile.Load(_file);

        file.For("b1").Toxics.ShouldBe([new Toxic { Type = "latency", Attributes = new() { Latency = 20, Jitter = 5 } }]);
        var b2 = file.For("b2").Toxics!;
        b2.Select(t => (t.Name, t.Kind, t.IsUpstream, t.Toxicity)).ShouldBe(
            [("cut", ToxicKind.LimitData, true, 0.25), ("slicer_downstream", ToxicKind.Slicer, false, 1.0)]);
        b2[0].Attributes.Bytes.ShouldBe(1024);
        b2[1].Attributes.ShouldBe(new ToxicAttributes { AverageSize = 64, SizeVariation = 16, Delay = 500 });
    }

    [Fact]
    public void Toxic_WithoutAName_IsNamedTypeUnderscoreStream_AndEqualsItsRoundTrip()
    {
        var toxic = new Toxic { Type = "slow-close", Stream = Toxic.Upstream, Attributes = new() { Delay = 5 } };

        toxic.Name.ShouldBe("slow-close_upstream");
        toxic.ShouldBe(toxic with { Name = "slow-close_upstream" });
        toxic.ShouldNotBe(toxic with { Name = "other" });
        toxic.ShouldNotBe(toxic with { Attributes = new() { Delay = 6 } });
    }

    [Theory]
    [InlineData("""{ "backends": { "b1": { "toxics": [ { "type": "latency", "attributes": { "jitter": -1 } } ] } } }""", "backends.b1.toxics[0].attributes.jitter: -1 is not in 0..3600000 (ms)")]
    [InlineData("""{ "default": { "toxics": [ { "type": "latency" }, { "type": "bandwidth", "attributes": { "rate": -2 } } ] } }""", "default.toxics[1].attributes.rate: -2 is not in 1..1000000000 (KB/s)")]
    [InlineData("""{ "default": { "toxics": [ { "type": "slow-close", "attributes": { "delay": 5, "bytes": 3 } } ] } }""", "default.toxics[0].attributes.bytes: slow-close takes delay, not bytes")]
    [InlineData("""{ "default": { "toxics": [ { "type": "reset-peer", "toxicity": -0.1 } ] } }""", "default.toxics[0].toxicity: -0.1 is not a probability (0..1)")]
    [InlineData("""{ "default": { "toxics": [ { "type": "latency" }, { "type": "latency" } ] } }""", "default.toxics[1].name: 'latency_downstream' is taken by [0] of the same list")]
    [InlineData("""{ "default": { "toxics": [ { "type": "latency", "name": " " } ] } }""", "default.toxics[0].name: must not be empty")]
    [InlineData("""{ "default": { "toxics": [ null ] } }""", "default.toxics[0]: null is not a toxic")]
    [InlineData("""{ "default": { "toxics": [ { "type": "slicer", "attributes": { "average_size": 0 } } ] } }""", "default.toxics[0].attributes.average_size: 0 is not in 1..65536 (bytes)")]
    [InlineData("""{ "default": { "toxics": [ { "type": "latency", "toxcity": 1 } ] } }""", "--profile")]
    public void Load_BadToxic_NamesTheFieldAndTheRange(string json, string expected)
    {
        File.WriteAllText(_file, json);

        var error = Should.Throw<ArgumentException>(() => ProfileFile.Load(_file));

        error.Message.ShouldContain(expected);
    }
}
