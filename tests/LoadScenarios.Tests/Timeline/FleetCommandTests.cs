using RoundRobinLab.Scenarios.Timeline;

namespace RoundRobinLab.Scenarios.Tests.Timeline;

public sealed class FleetCommandTests
{
    [Fact]
    public void Parse_ToxicWithToxicity_SetsTypeDefaultNameStreamAndToxicity()
    {
        var command = FleetCommand.Parse("b2 reset-peer toxicity 0.5");

        command.Kind.ShouldBe(FleetCommandKind.Toxic);
        command.Backend.ShouldBe("b2");
        command.NeedsRelays.ShouldBeTrue();
        command.Toxic!.Type.ShouldBe("reset-peer");
        command.Toxic.Name.ShouldBe("reset-peer_downstream");
        command.Toxic.Stream.ShouldBe("downstream");
        command.Toxic.Toxicity.ShouldBe(0.5);
        command.Toxic.Attributes.Timeout.ShouldBeNull();
    }

    [Theory]
    [InlineData("b1 bandwidth 64", "rate", 64)]
    [InlineData("b2 timeout 0", "timeout", 0)]
    [InlineData("b3 latency 100", "latency", 100)]
    [InlineData("b1 limit-data 4096", "bytes", 4096)]
    [InlineData("b1 slow_close 200", "delay", 200)]
    public void Parse_BareNumber_SetsTheTypesMainAttribute(string text, string attribute, long value)
    {
        var attributes = FleetCommand.Parse(text).Toxic!.Attributes;

        var actual = attribute switch
        {
            "rate" => attributes.Rate,
            "timeout" => attributes.Timeout,
            "latency" => attributes.Latency,
            "bytes" => attributes.Bytes,
            _ => attributes.Delay,
        };
        actual.ShouldBe(value);
    }

    [Fact]
    public void Parse_NamedAttributesAndStream_AreAllKept()
    {
        var toxic = FleetCommand.Parse("b1 latency 100 jitter 10 stream upstream name slow").Toxic!;

        toxic.Name.ShouldBe("slow");
        toxic.Stream.ShouldBe("upstream");
        toxic.Attributes.Latency.ShouldBe(100);
        toxic.Attributes.Jitter.ShouldBe(10);
    }

    [Theory]
    [InlineData("clear b2", FleetCommandKind.Clear, true)]
    [InlineData("down b2", FleetCommandKind.Down, false)]
    [InlineData("up b2", FleetCommandKind.Up, false)]
    [InlineData("drain b2", FleetCommandKind.Drain, false)]
    [InlineData("undrain b2", FleetCommandKind.Undrain, false)]
    [InlineData("remove b2 slow", FleetCommandKind.Remove, true)]
    [InlineData("b2 down", FleetCommandKind.Down, false)]
    [InlineData("b2 clear", FleetCommandKind.Clear, true)]
    public void Parse_Commands_GiveTheirKindAndBackend(string text, FleetCommandKind kind, bool needsRelays)
    {
        var command = FleetCommand.Parse(text);

        command.Kind.ShouldBe(kind);
        command.Backend.ShouldBe("b2");
        command.NeedsRelays.ShouldBe(needsRelays);
    }

    [Theory]
    [InlineData("b2 explode", "'explode' is not a toxic")]
    [InlineData("b2 reset-peer toxicity 2", "toxicity '2' is not a number in 0..1")]
    [InlineData("b1 bandwidth 64 burst 3", "unknown attribute 'burst'")]
    [InlineData("b1 bandwidth 0", "rate")]
    [InlineData("b1 latency 100 jitter", "'jitter' needs a value")]
    [InlineData("b1 latency 100 stream sideways", "stream 'sideways'")]
    [InlineData("clear", "write 'BACKEND TOXIC")]
    [InlineData("down b1 b2", "'down' takes one backend")]
    public void Parse_BadInput_SaysWhatIsWrong(string text, string message)
    {
        var error = Should.Throw<FormatException>(() => FleetCommand.Parse(text));

        error.Message.ShouldContain(message);
        error.Message.ShouldStartWith($"'{text}'");
    }

    [Fact]
    public void TimelineEvent_Parse_ReadsTimeNameAndCommand()
    {
        var e = TimelineEvent.Parse("at 2.5s fault: b2 reset-peer");

        e.At.ShouldBe(TimeSpan.FromSeconds(2.5));
        e.Name.ShouldBe("fault");
        e.Text.ShouldBe("b2 reset-peer");
        e.Label.ShouldBe("fault: b2 reset-peer");
        TimelineEvent.Parse("at 500ms: clear b2").At.ShouldBe(TimeSpan.FromMilliseconds(500));
        TimelineEvent.Parse("at 8: clear b2").Name.ShouldBeNull();
    }

    [Theory]
    [InlineData("5s: clear b2", "write 'at SECONDS")]
    [InlineData("at soon: clear b2", "'soon' is not a time")]
    [InlineData("at 5s: b2 melt", "'melt' is not a toxic")]
    public void TimelineEvent_Parse_BadInput_Throws(string text, string message) =>
        Should.Throw<FormatException>(() => TimelineEvent.Parse(text)).Message.ShouldContain(message);
}
