using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HdrHistogram;

namespace RoundRobinLab.Scenarios.Engine;

/// <summary>A progress report, once a second.</summary>
public sealed record Progress(TimeSpan Elapsed, TimeSpan Total, bool WarmingUp, long Completed, long Errors, double CurrentRate, long InFlight);

/// <summary>
/// Runs a load simulation against a target and records what comes back. Every run is bounded in
/// time (warm-up + duration + client timeout to drain) and in request count.
/// </summary>
public static class LoadRunner
{
    public static async Task<RunOutcome> RunAsync(LoadOptions options, IProgress<Progress>? progress = null, CancellationToken cancellationToken = default)
    {
        var recorder = new ResponseRecorder();
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            MaxConnectionsPerServer = int.MaxValue,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        if (options.TrustedThumbprint is { } thumbprint)
        {
            // The lab's own self-signed certificate, pinned: nothing else is trusted.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && string.Equals(certificate.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase);
        }

        using var client = new HttpMessageInvoker(handler);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sender = new Sender(client, options, recorder, stop.Token);
        var total = options.WarmUp + options.Simulation.Duration;
        var clock = Stopwatch.StartNew();

        // The sampler turns the recorder's intervals into a timeline and a merged total.
        var merged = new LongHistogram(ResponseRecorder.HighestLatencyMicros, 3);
        var timeline = new List<TimelinePoint>();
        var events = new System.Collections.Concurrent.ConcurrentQueue<RunEvent>();
        var measuredStart = TimeSpan.Zero;
        long lastCompleted = 0, lastErrors = 0;
        var lastBackends = new Dictionary<string, long>();
        void Sample()
        {
            var interval = recorder.TakeInterval();
            var completed = recorder.Completed;
            var errors = recorder.ErrorsTotal;
            if (recorder.Measuring)
            {
                merged.Add(interval);
                var backends = recorder.BackendsAllPhases.ToDictionary(b => b.Key, b => b.Value - lastBackends.GetValueOrDefault(b.Key));
                timeline.Add(new TimelinePoint(Math.Round((clock.Elapsed - measuredStart).TotalSeconds, 1), completed - lastCompleted, errors - lastErrors,
                    interval.TotalCount > 0 ? interval.GetValueAtPercentile(50) / 1000.0 : 0, interval.TotalCount > 0 ? interval.GetValueAtPercentile(99) / 1000.0 : 0, backends));
            }

            lastBackends = new Dictionary<string, long>(recorder.BackendsAllPhases);

            progress?.Report(new Progress(clock.Elapsed, total, !recorder.Measuring, completed, errors, completed - lastCompleted, sender.InFlight));
            lastCompleted = completed;
            lastErrors = errors;
        }

        using var sampler = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var sampling = Task.Run(async () =>
        {
            while (await sampler.WaitForNextTickAsync(CancellationToken.None))
            {
                Sample();
            }
        }, CancellationToken.None);

        try
        {
            if (options.WarmUp > TimeSpan.Zero)
            {
                await sender.RunPhaseAsync(WarmUpOf(options.Simulation, options.WarmUp));
            }

            recorder.TakeInterval();
            recorder.Measuring = true;
            measuredStart = clock.Elapsed;
            lastCompleted = 0;
            lastErrors = 0;
            var actions = options.Actions.Select(a => RunActionAsync(a, () => (clock.Elapsed - measuredStart).TotalSeconds, events, stop.Token)).ToArray();
            await sender.RunPhaseAsync(options.Simulation);
            // The rate is over the time the load was applied; draining the last answers is not part of it.
            var measured = clock.Elapsed - measuredStart;
            await sender.DrainAsync(options.ClientTimeout);
            // Stop the sampler before the measured phase ends: a tick that came between the two
            // would take the last interval and drop it as not measured (with no warm-up the ticks
            // fall on the phase's last second, and its latencies went missing).
            sampler.Dispose();
            await sampling;
            recorder.Measuring = false;
            merged.Add(recorder.TakeInterval());
            await Task.WhenAll(actions);
            return new RunOutcome
            {
                Latency = merged,
                Measured = measured,
                Completed = recorder.Completed,
                Bytes = recorder.Bytes,
                Errors = Enum.GetValues<ErrorKind>().ToDictionary(k => k, recorder.Errors),
                StatusCodes = new Dictionary<int, long>(recorder.StatusCodes),
                BackendsAllPhases = new Dictionary<string, long>(recorder.BackendsAllPhases),
                Timeline = timeline,
                Events = [.. events.OrderBy(e => e.Second)],
            };
        }
        finally
        {
            await stop.CancelAsync();
        }
    }

    private static LoadSimulation WarmUpOf(LoadSimulation simulation, TimeSpan warmUp) => simulation switch
    {
        LoadSimulation.Open open => LoadSimulation.Rate(open.From, warmUp),
        LoadSimulation.Closed closed => LoadSimulation.Users(Math.Max(1, closed.From), warmUp),
        _ => throw new ArgumentOutOfRangeException(nameof(simulation)),
    };

    private static async Task RunActionAsync(TimedAction action, Func<double> now, System.Collections.Concurrent.ConcurrentQueue<RunEvent> events, CancellationToken stop)
    {
        try
        {
            await Task.Delay(action.At, stop);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var at = Math.Round(now(), 2);
        await action.Action();
        events.Enqueue(new RunEvent(at, action.Label));
    }

    /// <summary>Sends requests for one phase and records their outcomes.</summary>
    private sealed class Sender(HttpMessageInvoker client, LoadOptions options, ResponseRecorder recorder, CancellationToken stop)
    {
        private readonly Dictionary<int, byte[]> _bodies = [];
        private volatile TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _sent;
        private long _inFlight;

        public long InFlight => Interlocked.Read(ref _inFlight);

        public Task RunPhaseAsync(LoadSimulation simulation) => simulation switch
        {
            LoadSimulation.Open open => RunOpenAsync(open),
            LoadSimulation.Closed closed => RunClosedAsync(closed),
            _ => throw new ArgumentOutOfRangeException(nameof(simulation)),
        };

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

        private Task RunOpenAsync(LoadSimulation.Open open)
        {
            // A dedicated thread keeps the schedule: Task.Delay wakes up milliseconds late, and
            // with latency measured from the due time that lateness would count against the
            // target. Sleep in whole milliseconds, then yield (not spin) for the last one.
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    Dispatch(open);
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

        private void Dispatch(LoadSimulation.Open open)
        {
            // Not disposed: requests of this phase release their slot after it has ended.
#pragma warning disable CA2000
            var slots = new SemaphoreSlim(options.MaxInFlight);
#pragma warning restore CA2000
            var start = Stopwatch.GetTimestamp();
            for (long n = 0; !stop.IsCancellationRequested && Interlocked.Read(ref _sent) < options.MaxRequests; n++)
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

                // Requests still in flight at the end of a phase run on into the next one (or the drain).
                _ = SendAsync(Interlocked.Increment(ref _sent) - 1, dueTimestamp).ContinueWith(_ => slots.Release(), TaskScheduler.Default);
            }
        }

        private async Task RunClosedAsync(LoadSimulation.Closed closed)
        {
            var clock = Stopwatch.StartNew();
            var users = new List<(Task Loop, CancellationTokenSource Leave)>();
            try
            {
                while (clock.Elapsed < closed.Duration && !stop.IsCancellationRequested && Interlocked.Read(ref _sent) < options.MaxRequests)
                {
                    var target = closed.UsersAt(clock.Elapsed);
                    while (users.Count < target)
                    {
                        var leave = CancellationTokenSource.CreateLinkedTokenSource(stop);
                        users.Add((UserLoopAsync(leave.Token), leave));
                    }

                    while (users.Count > target)
                    {
                        await users[^1].Leave.CancelAsync();
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
            long n;
            while (!leave.IsCancellationRequested && (n = Interlocked.Increment(ref _sent)) <= options.MaxRequests)
            {
                await SendAsync(n - 1, Stopwatch.GetTimestamp());
            }
        }

        private async Task SendAsync(long n, long dueTimestamp)
        {
            Interlocked.Increment(ref _inFlight);
            try
            {
                await SendCoreAsync(n, dueTimestamp);
            }
            finally
            {
                if (Interlocked.Decrement(ref _inFlight) == 0)
                {
                    _idle.TrySetResult();
                }
            }
        }

        private async Task SendCoreAsync(long n, long dueTimestamp)
        {
            var measured = recorder.Measuring;
            var spec = options.Requests(n);
            using var request = new HttpRequestMessage(new HttpMethod(spec.Method), new Uri(options.Target, spec.Path))
            {
                Version = options.HttpVersion,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            if (spec.BodyBytes > 0)
            {
                request.Content = new ByteArrayContent(Body(spec.BodyBytes));
            }

            if (options.NewConnectionPerRequest)
            {
                request.Headers.ConnectionClose = true;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(options.ClientTimeout);
            try
            {
                using var response = await client.SendAsync(request, timeout.Token);
                await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
                long bytes = 0;
                try
                {
                    int read;
                    while ((read = await body.ReadAsync(buffer, timeout.Token)) > 0)
                    {
                        bytes += read;
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
                }

                var backend = response.Headers.TryGetValues("X-Backend-Id", out var ids) ? ids.FirstOrDefault() : null;
                recorder.RecordResponse(measured, (int)response.StatusCode, bytes, backend, Stopwatch.GetElapsedTime(dueTimestamp));
            }
            catch (Exception e)
            {
                recorder.RecordError(measured, Classify(e));
            }
        }

        private byte[] Body(int size)
        {
            lock (_bodies)
            {
                if (!_bodies.TryGetValue(size, out var body))
                {
                    body = new byte[size];
                    new Random(size).NextBytes(body);
                    _bodies[size] = body;
                }

                return body;
            }
        }

        private static ErrorKind Classify(Exception e) => e switch
        {
            OperationCanceledException => ErrorKind.Timeout,
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } h when h.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable } => ErrorKind.Connect,
            HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse } => ErrorKind.BadResponse,
            HttpRequestException or IOException => ErrorKind.Reset,
            _ => ErrorKind.Reset,
        };
    }
}
