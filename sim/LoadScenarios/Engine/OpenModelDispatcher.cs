using System.Diagnostics;
using RoundRobinLab.Scenarios.Engine.Http;

namespace RoundRobinLab.Scenarios.Engine;

/// <summary>
/// The open model: sends each request at its due time whatever the target does, at most
/// MaxInFlight at once. Latency counts from the due time, so a request that waited for a slot
/// (or for a stalled target) shows the wait.
/// </summary>
internal sealed class OpenModelDispatcher(LoadSimulation.Open open, int maxInFlight, RequestSender sender, IHttpExchanger exchanger, CancellationToken stop)
{
    /// <summary>Completes when the last request of the phase has been sent (not answered).</summary>
    public Task RunAsync()
    {
        // A dedicated thread keeps the schedule: Task.Delay wakes up milliseconds late, and
        // with latency measured from the due time that lateness would count against the
        // target. Sleep in whole milliseconds, then yield (not spin) for the last one.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Dispatch();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "open-model dispatcher",
            Priority = ThreadPriority.AboveNormal,
        };
        thread.Start();
        return done.Task;
    }

    private void Dispatch()
    {
        // Not disposed: requests of this phase release their slot after it has ended.
#pragma warning disable CA2000
        var slots = new SemaphoreSlim(maxInFlight);
#pragma warning restore CA2000
        var start = Stopwatch.GetTimestamp();
        for (long n = 0; !stop.IsCancellationRequested && sender.MayTakeMore; n++)
        {
            if (open.DueTime(n) is not { } due)
            {
                break;
            }

            var dueTimestamp = start + (long)(due.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), dueTimestamp);
                if (wait <= TimeSpan.Zero || stop.IsCancellationRequested)
                {
                    break;
                }

                if (wait > TimeSpan.FromMilliseconds(2))
                {
                    Thread.Sleep(wait - TimeSpan.FromMilliseconds(1));
                }
                else
                {
                    Thread.Yield();
                }
            }

            // Waiting for a slot delays the send, not the due time: the wait shows up as latency.
            try
            {
                slots.Wait(stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (!sender.TryTakeNumber(out var number))
            {
                slots.Release();
                break;
            }

            // Requests still in flight at the end of a phase run on into the next one (or the drain).
            _ = SendThenReleaseAsync(number, dueTimestamp, slots);
        }
    }

    private async Task SendThenReleaseAsync(long number, long dueTimestamp, SemaphoreSlim slots)
    {
        try
        {
            await sender.SendAsync(exchanger, number, dueTimestamp);
        }
        finally
        {
            slots.Release();
        }
    }
}
