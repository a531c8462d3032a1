using System.Runtime.InteropServices;

namespace RoundRobinLab.Lab.Cli;

/// <summary>
/// Ctrl-C and SIGTERM as a cancellation: a run stops sending, stops the proxies and backends it
/// started and ends with exit code 130, instead of the process dying with children left behind.
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    private Interrupt()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    public CancellationToken Token => _cancel.Token;

    public static Interrupt Register() => new();

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _cancel.Dispose();
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _cancel.Cancel();
    }
}
