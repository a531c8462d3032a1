using RoundRobinLab.Lab.Processes;

namespace RoundRobinLab.Lab.Tests.Processes;

public sealed class ExternalProcessTests
{
    [Fact]
    public async Task RunAsync_KeepsTheOutputOfBothStreams_AndTheExitCode()
    {
        var (exitCode, output) = await ExternalProcess.RunAsync("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"], CancellationToken.None);

        exitCode.ShouldBe(3);
        output.ShouldContain("out");
        output.ShouldContain("err");
    }

    [Fact]
    public async Task DisposeAsync_AProgramStillRunning_StopsIt()
    {
        var process = ExternalProcess.Start("/bin/sleep", ["60"]);
        var pid = process.Id;

        await process.DisposeAsync();

        File.Exists($"/proc/{pid}/stat").ShouldBeFalse();
    }

    [Fact]
    public async Task RunAsync_Cancelled_StopsTheProgram()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Should.ThrowAsync<OperationCanceledException>(() => ExternalProcess.RunAsync("/bin/sleep", ["61"], cancel.Token));
        // Its disposal waited for it: no sleep of 61 s is left.
        Directory.EnumerateDirectories("/proc").Select(d => Path.Combine(d, "cmdline")).Where(File.Exists)
            .Select(f => { try { return File.ReadAllText(f); } catch (IOException) { return ""; } })
            .ShouldNotContain(cmd => cmd == "/bin/sleep\061\0");
    }

    [Fact]
    public void Start_AProgramThatIsNotThere_SaysSo() =>
        Should.Throw<ToolMissingException>(() => ExternalProcess.Start("/no/such/program", [])).Message.ShouldContain("/no/such/program");
}
