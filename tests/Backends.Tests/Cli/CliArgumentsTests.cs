using RoundRobinLab.Backends.Cli;

namespace RoundRobinLab.Backends.Tests.Cli;

public sealed class CliArgumentsTests
{
    [Fact]
    public void Parse_SeparatesWordsOptionsAndRepeats()
    {
        var cli = CliArguments.Parse(["run", "steady", "--threshold", "p99<5ms", "--duration", "3", "--threshold", "spread<=1"]);

        cli.Positional.ShouldBe(["run", "steady"]);
        cli.Value("--duration").ShouldBe("3");
        cli.Values("--threshold").ShouldBe(["p99<5ms", "spread<=1"]);
        cli.Value("--threshold").ShouldBe("spread<=1");
        cli.Value("--missing").ShouldBeNull();
        cli.Values("--missing").ShouldBeEmpty();
        cli.Help.ShouldBeFalse();
    }

    [Theory]
    [InlineData("-h")]
    [InlineData("--help")]
    public void Parse_Help_IsSeenAnywhere(string flag) => CliArguments.Parse(["list", flag]).Help.ShouldBeTrue();

    [Fact]
    public void Parse_OptionWithoutValue_SaysSo() =>
        Should.Throw<ArgumentException>(() => CliArguments.Parse(["--count"])).Message.ShouldBe("--count needs a value.");
}
