using System.Diagnostics;
using System.Text.Json;
using RoundRobinLab.Scenarios.Expectations;

namespace RoundRobinLab.Scenarios.Lab;

/// <summary>
/// Reads the proxy's /stats every <see cref="Interval"/> while a run lasts and keeps which
/// backends were in rotation ("active" or "slow-start", as /metrics' rrproxy_backend_in_rotation
/// counts them), so expectations can say when a backend left or came back. The proxy's own
/// numbers, never its log. Times are on a stopwatch of its own until the measured phase starts
/// (<see cref="MeasuringStarted"/>), then every sample is given in seconds from that moment.
/// </summary>
internal sealed class ProxyStatsPoller : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly List<(TimeSpan At, Dictionary<string, bool> InRotation)> _samples = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _polling;
    private TimeSpan? _measuredStart;

    public ProxyStatsPoller(LabEnvironment lab)
    {
        _polling = Task.Run(() => PollAsync(lab));
    }

    /// <summary>Called by the load runner as the measured phase starts: sample times count from here.</summary>
    public void MeasuringStarted() => _measuredStart ??= _clock.Elapsed;

    /// <summary>Stops polling and gives the samples, in seconds into the measured phase (negative: warm-up).</summary>
    public async Task<List<RotationSample>> StopAsync()
    {
        await _stop.CancelAsync();
        await _polling;
        var start = _measuredStart ?? TimeSpan.Zero;
        lock (_samples)
        {
            return [.. _samples.Select(s => new RotationSample(Math.Round((s.At - start).TotalSeconds, 3), s.InRotation))];
        }
    }

    private async Task PollAsync(LabEnvironment lab)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var ids = lab.BackendIdsByAddress();
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                // Stamped when the answer arrives: the state it shows is at most that old.
                var backends = await ProxyStats.ReadAsync(client, lab.Proxy.AdminAddress, _stop.Token);
                var at = _clock.Elapsed;
                var inRotation = backends.ToDictionary(b => ids.GetValueOrDefault(b.Address, b.Address), b => b.InRotation);
                lock (_samples)
                {
                    _samples.Add((at, inRotation));
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                // A missed sample is a gap, not a failed run: the expectations see fewer samples.
            }
        }
        while (await WaitAsync(timer));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }
}
