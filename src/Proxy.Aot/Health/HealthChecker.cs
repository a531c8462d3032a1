using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Health;

/// <summary>
/// Active health checks: every --health-interval, each configured backend gets
/// <c>GET PATH</c> on a new connection (never a kept-alive one of real traffic, as nginx and
/// HAProxy do), with --health-timeout for the whole exchange; a 2xx or 3xx status passes, anything
/// else (another status, no connection, a timeout, garbage) fails. The verdicts go to the pool,
/// which takes a backend out after --health-fall fails in a row and back after --health-rise
/// passes. Backends start as passing, so a proxy starts serving at once (HAProxy's default).
/// </summary>
internal sealed partial class HealthChecker : IAsyncDisposable
{
    private readonly BackendPool _pool;
    private readonly UpstreamConnector _connector;
    private readonly HealthCheckOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public HealthChecker(BackendPool pool, UpstreamConnector connector, HealthCheckOptions options, ILogger<HealthChecker> logger)
    {
        _pool = pool;
        _connector = connector;
        _options = options;
        _logger = logger;
    }

    public void Start() => _loop = RunAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_options.Interval);
        do
        {
            var backends = _pool.All;
            var checks = new Task[backends.Count];
            for (var i = 0; i < checks.Length; i++)
            {
                checks[i] = CheckAndReportAsync(backends[i], stop);
            }

            await Task.WhenAll(checks);
        }
        while (await timer.WaitForNextTickAsync(stop));
    }

    private async Task CheckAndReportAsync(Backend backend, CancellationToken stop)
    {
        var failure = await CheckAsync(backend, stop);
        if (stop.IsCancellationRequested)
        {
            return;
        }

        switch (_pool.ReportCheck(backend, failure is null, _options.Fall, _options.Rise))
        {
            case HealthChange.Down:
                CheckedDown(_logger, backend.Prefix, _options.Fall, _options.Path, failure!, _pool.HealthyCount, _pool.All.Count);
                break;
            case HealthChange.Up:
                CheckedUp(_logger, backend.Prefix, _options.Rise, _options.Path, _pool.HealthyCount, _pool.All.Count);
                break;
        }
    }

    /// <summary>Null when the check passed, else why it failed.</summary>
    internal async Task<string?> CheckAsync(Backend backend, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_options.Timeout);
        UpstreamConnection? connection = null;
        try
        {
            connection = await _connector.RentAsync(backend, fresh: true, checkIdle: false, timeout.Token);
            var request = string.Create(CultureInfo.InvariantCulture,
                $"GET {backend.PathPrefix}{_options.Path} HTTP/1.1\r\nHost: {backend.Authority}\r\nUser-Agent: rrproxy-health-check\r\nConnection: close\r\n\r\n");
            await connection.WriteAsync(Encoding.Latin1.GetBytes(request), timeout.Token);
            // The status line is all a verdict needs: "HTTP/1.x NNN".
            while (connection.BufferedLength < 12)
            {
                if (await connection.FillAsync(timeout.Token) == 0)
                {
                    return "the connection closed before a status line";
                }
            }

            Span<byte> head = stackalloc byte[12];
            connection.Buffered.Slice(0, 12).CopyTo(head);
            if (!head.StartsWith("HTTP/1."u8) || head[8] != (byte)' '
                || !int.TryParse(head[9..12], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            {
                return "the answer is not HTTP/1.x";
            }

            return status is >= 200 and < 400 ? null : string.Create(CultureInfo.InvariantCulture, $"status {status}");
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            return string.Create(CultureInfo.InvariantCulture, $"no answer within --health-timeout ({_options.Timeout.TotalSeconds:0.###}s)");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return e.Message;
        }
        finally
        {
            connection?.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} out of rotation: {Fall} health checks of {Path} failed in a row, the last: {Reason} ({Healthy}/{Total} in rotation)")]
    private static partial void CheckedDown(ILogger logger, string backend, int fall, string path, string reason, int healthy, int total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} back in rotation: {Rise} health checks of {Path} passed in a row ({Healthy}/{Total} in rotation)")]
    private static partial void CheckedUp(ILogger logger, string backend, int rise, string path, int healthy, int total);
}
