using System.Diagnostics;
using RoundRobinLab.Scenarios.Engine.Http;

namespace RoundRobinLab.Scenarios.Engine;

/// <summary>
/// The closed model: as many users as the simulation says at each moment (checked ten times a
/// second), each on a connection of its own, sending its next request when the last one is answered.
/// </summary>
internal sealed class ClosedModelUsers(LoadSimulation.Closed closed, RequestSender sender, IHttpTransport transport, CancellationToken stop)
{
    /// <summary>Completes when the phase is over and every user has had its last answer.</summary>
    public async Task RunAsync()
    {
        var clock = Stopwatch.StartNew();
        var users = new List<(Task Loop, CancellationTokenSource Leave)>();
        var left = new List<(Task Loop, CancellationTokenSource Leave)>();
        try
        {
            while (clock.Elapsed < closed.Duration && !stop.IsCancellationRequested && sender.MayTakeMore)
            {
                var target = closed.UsersAt(clock.Elapsed);
                while (users.Count < target)
                {
                    var leave = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    users.Add((UserLoopAsync(leave.Token), leave));
                }

                while (users.Count > target)
                {
                    // A user that leaves finishes the request it is waiting for, then closes its connection.
                    await users[^1].Leave.CancelAsync();
                    left.Add(users[^1]);
                    users.RemoveAt(users.Count - 1);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(100), stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        finally
        {
            foreach (var (_, leave) in users)
            {
                await leave.CancelAsync();
            }

            users.AddRange(left);
            await Task.WhenAll(users.Select(u => u.Loop));
            foreach (var (_, leave) in users)
            {
                leave.Dispose();
            }
        }
    }

    private async Task UserLoopAsync(CancellationToken leave)
    {
        await Task.Yield();
        using var connection = transport.OpenUser();
        while (!leave.IsCancellationRequested && sender.TryTakeNumber(out var n))
        {
            await sender.SendAsync(connection, n, Stopwatch.GetTimestamp());
        }
    }
}
