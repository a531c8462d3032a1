using System.Runtime.InteropServices;

namespace RoundRobinLab.Proxy.Hosting;

/// <summary>
/// Completes on the first SIGTERM, SIGINT (Ctrl-C) or SIGQUIT, the signals the generic host's
/// console lifetime listened to, and keeps the runtime from ending the process on them, so that
/// in-flight requests can finish first.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly TaskCompletionSource _received = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration[] _registrations;

    public ShutdownSignal()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Handle),
        ];
    }

    public Task Received => _received.Task;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }

    private void Handle(PosixSignalContext context)
    {
        context.Cancel = true;
        _received.TrySetResult();
    }
}
