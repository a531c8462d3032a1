using RoundRobinLab.Lab.Cli;

namespace RoundRobinLab.Lab.Tests.Cli;

public sealed class LabCommandTests
{
    [Theory]
    [InlineData("compare", "--rounds", "0")]
    [InlineData("no-such-verb")]
    [InlineData("scenario")]
    [InlineData("scenario", "no-such-scenario")]
    [InlineData("backends", "--mode", "fast")]
    public async Task RunAsync_BadInput_Exits2(params string[] args) =>
        (await LabCommand.RunAsync(args, CancellationToken.None)).ShouldBe(LabExit.Usage);

    [Theory]
    [InlineData("scenarios")]
    [InlineData("--help")]
    [InlineData("compare", "--help")]
    public async Task RunAsync_AVerbThatNeedsNothing_Exits0(params string[] args) =>
        (await LabCommand.RunAsync(args, CancellationToken.None)).ShouldBe(LabExit.Passed);
}
