using System.Diagnostics;

namespace RoundRobinLab.Harness;

public static class GracefulStop
{
    /// <summary>
    /// Stops a child the way an operator would: SIGTERM, then SIGKILL (its whole tree) when it
    /// has not exited within <paramref name="timeout"/>. Returns once it has exited.
    /// </summary>
    public static async Task StopAsync(Process process, TimeSpan timeout)
    {
        if (!process.HasExited)
        {
            Posix.Send(process.Id, Signal.Terminate);
            try
            {
                await process.WaitForExitAsync().WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        // Also waits for the redirected output to be read to its end.
        await process.WaitForExitAsync();
    }
}
