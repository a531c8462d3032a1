using RoundRobinLab.Backends.Profiles;

namespace RoundRobinLab.Backends.Tests.Profiles;

public sealed class ProfileTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void LogNormal_Sample_HasTheConfiguredMedianAndSpread()
    {
        var latency = LatencyProfile.LogNormal(40, 0.5);
        var random = new Random(12345);

        var samples = Enumerable.Range(0, 20_000).Select(_ => latency.Sample(random).TotalMilliseconds).Order().ToArray();

        samples[samples.Length / 2].ShouldBe(40, tolerance: 40 * 0.05);
        // The 84th percentile of a log-normal is median * e^sigma.
        samples[(int)(samples.Length * 0.8413)].ShouldBe(40 * Math.Exp(0.5), tolerance: 40 * Math.Exp(0.5) * 0.05);
        samples.ShouldAllBe(s => s > 0);
    }

    [Fact]
    public void Uniform_Sample_StaysInRangeAndCoversIt()
    {
        var latency = LatencyProfile.Uniform(10, 20);
        var random = new Random(7);

        var samples = Enumerable.Range(0, 10_000).Select(_ => latency.Sample(random).TotalMilliseconds).ToArray();

        samples.ShouldAllBe(s => s >= 10 && s <= 20);
        samples.Average().ShouldBe(15, tolerance: 0.2);
    }

    [Fact]
    public void Load_ReadsDefaultAndPerBackendProfiles()
    {
        File.WriteAllText(_file, """
            {
              // comments are allowed
              "default": { "latency": { "type": "fixed", "ms": 2 } },
              "backends": {
                "b2": { "latency": { "type": "logNormal", "medianMs": 40, "sigma": 0.6 }, "errorRate": 0.05, "errorStatus": 503 },
                "b3": { "faults": { "reset": 0.01, "noResponse": 0.01 }, "stream": { "chunks": 4, "chunkDelayMs": 50 }, "bodyBytes": 1048576 }
              }
            }
            """);

        var file = ProfileFile.Load(_file);

        file.For("b1").Latency.ShouldBe(LatencyProfile.Fixed(2));
        file.For("b2").Latency!.Type.ShouldBe(LatencyKind.LogNormal);
        file.For("b2").ErrorStatus.ShouldBe(503);
        file.For("b3").ErrorStatus.ShouldBe(500);
        file.For("b3").Stream!.Chunks.ShouldBe(4);
        file.For("b3").BodyBytes.ShouldBe(1048576);
    }

    [Fact]
    public void Load_OnlyADefault_AppliesItToEveryBackend()
    {
        File.WriteAllText(_file, """{ "default": { "latency": { "type": "fixed", "ms": 10 } } }""");

        var file = ProfileFile.Load(_file);

        file.For("b1").Latency.ShouldBe(LatencyProfile.Fixed(10));
        file.For("b7").Latency.ShouldBe(LatencyProfile.Fixed(10));
    }

    [Theory]
    [InlineData("""{ "backends": { "b1": { "errorRate": 1.5 } } }""", "backends.b1.errorRate")]
    [InlineData("""{ "backends": { "b1": { "errorStatus": 42 } } }""", "backends.b1.errorStatus")]
    [InlineData("""{ "default": { "latency": { "type": "uniform", "minMs": 5, "maxMs": 1 } } }""", "default.latency")]
    [InlineData("""{ "backends": { "b1": { "faults": { "reset": 0.6, "malformed": 0.6 } } } }""", "faults (their sum)")]
    [InlineData("""{ "backends": { "b1": { "latency": { "type": "sometimes" } } } }""", "--profile")]
    public void Load_BadProfile_NamesTheField(string json, string expected)
    {
        File.WriteAllText(_file, json);

        var error = Should.Throw<ArgumentException>(() => ProfileFile.Load(_file));

        error.Message.ShouldContain(expected);
    }
}
