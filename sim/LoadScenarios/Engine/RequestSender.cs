using System.Diagnostics;
using System.Runtime.CompilerServices;
using RoundRobinLab.Scenarios.Engine.Http;

namespace RoundRobinLab.Scenarios.Engine;

/// <summary>
/// Sends a request and records its outcome; hands out request numbers up to the run's bound and
/// knows how many requests are in flight, so the run can wait for the last ones.
/// </summary>
internal sealed class RequestSender(LoadOptions options, ResponseRecorder recorder)
{
    private volatile TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _sent;
    private long _inFlight;

    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>Whether the bound on requests (warm-up included) leaves room for more.</summary>
    public bool MayTakeMore => Interlocked.Read(ref _sent) < options.MaxRequests;

    /// <summary>The next request's number (0-based), or false once the run's bound is reached.</summary>
    public bool TryTakeNumber(out long n)
    {
        n = Interlocked.Increment(ref _sent) - 1;
        return n < options.MaxRequests;
    }

    /// <summary>
    /// Sends request <paramref name="n"/> and records it in the phase it was sent in, with its
    /// latency counted from <paramref name="dueTimestamp"/> (the open model's due time, or now).
    /// </summary>
    // Pooled: a closed-model user awaits one of these per request, and each suspends on the socket.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(IHttpExchanger exchanger, long n, long dueTimestamp)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            var measured = recorder.Measuring;
            var result = await exchanger.SendAsync(options.Requests(n));
            if (result.Error is { } kind)
            {
                recorder.RecordError(measured, kind);
            }
            else
            {
                recorder.RecordResponse(measured, result.Status, result.Bytes, result.Backend, Stopwatch.GetElapsedTime(dueTimestamp));
            }
        }
        finally
        {
            if (Interlocked.Decrement(ref _inFlight) == 0)
            {
                _idle.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Waits for what is still in flight, at most <paramref name="limit"/>; what is still
    /// unfinished then counts as timed out (and is cancelled when the run ends).
    /// </summary>
    public async Task DrainAsync(TimeSpan limit)
    {
        _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (InFlight > 0)
        {
            await _idle.Task.WaitAsync(limit).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        for (var i = InFlight; i > 0; i--)
        {
            recorder.RecordError(measured: true, ErrorKind.Timeout);
        }
    }
}
