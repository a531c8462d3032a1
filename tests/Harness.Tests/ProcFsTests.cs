using System.Diagnostics;

namespace RoundRobinLab.Harness.Tests;

public sealed class ProcFsTests
{
    [Fact]
    public async Task CpuSeconds_CountsTheChildrenOfAProcess()
    {
        // A shell whose child burns CPU, as nginx's workers do for their master (killed below).
        using var shell = Process.Start("/bin/sh", ["-c", "sh -c 'while :; do :; done' & wait"])!;
        try
        {
            var before = ProcFs.CpuSeconds(shell.Id);
            var deadline = Stopwatch.StartNew();
            while (ProcFs.CpuSeconds(shell.Id) - before < 0.2 && deadline.Elapsed < TimeSpan.FromSeconds(4))
            {
                await Task.Delay(50);
            }

            // The shell itself only waits: the CPU time is its child's.
            (ProcFs.CpuSeconds(shell.Id) - before).ShouldBeGreaterThanOrEqualTo(0.2);
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
            await shell.WaitForExitAsync();
        }
    }

    [Fact]
    public void ResidentMiB_OfThisProcess_IsSomeMegabytes_AndPeakIsAtLeastNow()
    {
        var now = ProcFs.ResidentMiB(Environment.ProcessId);

        now.ShouldBeGreaterThan(5);
        ProcFs.ResidentMiB(Environment.ProcessId, peak: true).ShouldBeGreaterThanOrEqualTo(now * 0.9);
    }

    [Fact]
    public void ThreadNames_OfThisProcess_IncludeTheDotnetRuntimeThreads() =>
        ProcFs.ThreadNames(Environment.ProcessId).ShouldContain(name => name.StartsWith(".NET", StringComparison.Ordinal));
}
