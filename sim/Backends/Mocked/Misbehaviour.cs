using System.Text;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Backends.Profiles;

namespace RoundRobinLab.Backends.Mocked;

/// <summary>
/// Middleware in front of WireMock that applies a backend's profile. WireMock always handles (and
/// logs) the request first, so its request log stays the record of what the backend received;
/// this then decides how the answer is delivered: late, slowly, as a large body, or not at all.
/// </summary>
internal sealed class Misbehaviour(FakeBackend backend)
{
    /// <summary>How long a backend that "never answers" holds a connection before dropping it.</summary>
    private static readonly TimeSpan s_noResponseLimit = TimeSpan.FromMinutes(5);

    /// <summary>The lab's health path (--health-path in the proxy's scenarios).</summary>
    public const string HealthPath = "/healthz";

    private static readonly byte[] s_malformed = Encoding.ASCII.GetBytes("HTTP/1.1 OK maybe\r\nthis is: not\r\n HTTP at all\r\n\r\n");

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        context.Response.Headers["X-Backend-Id"] = backend.Id;
        if (context.Request.Path.StartsWithSegments("/__admin", StringComparison.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }

        var profile = backend.Profile;
        if (HttpMethods.IsGet(context.Request.Method) && context.Request.Path.Equals(HealthPath, StringComparison.Ordinal))
        {
            // Answered here, before WireMock logs it: the request log counts client requests only.
            context.Response.StatusCode = profile.HealthStatus;
            return;
        }

        if (context.WebSockets.IsWebSocketRequest && context.Request.Path.Equals(WebSocketEcho.Path, StringComparison.Ordinal))
        {
            // Not WireMock's (it has no WebSocket): counted as one request of this backend.
            backend.OnWebSocketSession();
            await WebSocketEcho.RunAsync(context, backend.Id);
            return;
        }

        var aborted = context.RequestAborted;
        if (profile.Latency is { } latency && latency.Sample(Random.Shared) is { Ticks: > 0 } delay)
        {
            await DelayAtLeastAsync(delay, aborted);
        }

        var response = context.Response;
        var original = response.Body;
        using var buffer = new MemoryStream();
        response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            response.Body = original;
        }

        response.Headers["X-Backend-Id"] = backend.Id;
        switch (DrawFault(profile.Faults))
        {
            case Fault.Reset:
                context.Abort();
                return;
            case Fault.Malformed:
                await SendMalformedAsync(context);
                return;
            case Fault.NoResponse:
                try
                {
                    await Task.Delay(s_noResponseLimit, aborted);
                }
                catch (OperationCanceledException)
                {
                }

                context.Abort();
                return;
        }

        if (profile.BodyBytes > 0)
        {
            response.ContentType = "application/octet-stream";
            await SendAsync(context, new PatternStream(profile.BodyBytes), profile.BodyBytes, profile.Stream);
            return;
        }

        buffer.Position = 0;
        await SendAsync(context, buffer, buffer.Length, profile.Stream);
    }

    private static async Task SendAsync(HttpContext context, Stream body, long length, StreamProfile? stream)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;
        if (HttpMethods.IsHead(context.Request.Method) || response.StatusCode is 204 or 304)
        {
            return;
        }

        if (stream is null || stream.Chunks <= 1)
        {
            response.ContentLength = length;
            await body.CopyToAsync(response.Body, aborted);
            return;
        }

        // Chunked, with a pause before every chunk after the first.
        response.ContentLength = null;
        var chunkSize = (int)Math.Max(1, (length + stream.Chunks - 1) / stream.Chunks);
        var chunk = new byte[Math.Min(chunkSize, 1 << 20)];
        long sent = 0;
        for (var i = 0; sent < length; i++)
        {
            if (i > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(stream.ChunkDelayMs), aborted);
            }

            var target = Math.Min(length - sent, chunkSize);
            for (long written = 0; written < target;)
            {
                var read = await body.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, target - written)), aborted);
                await response.Body.WriteAsync(chunk.AsMemory(0, read), aborted);
                written += read;
            }

            sent += target;
            await response.Body.FlushAsync(aborted);
        }
    }

    /// <summary>Writes bytes that are not an HTTP response straight to the socket, then closes it.</summary>
    private static async Task SendMalformedAsync(HttpContext context)
    {
        if (context.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
        {
            await socket.SendAsync(s_malformed, System.Net.Sockets.SocketFlags.None, context.RequestAborted);
        }

        context.Abort();
    }

    /// <summary>
    /// Waits at least <paramref name="delay"/>: the timer behind Task.Delay can fire a few
    /// milliseconds early, and a latency profile promises a floor.
    /// </summary>
    private static async Task DelayAtLeastAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var remaining = delay; remaining > TimeSpan.Zero; remaining = delay - System.Diagnostics.Stopwatch.GetElapsedTime(start))
        {
            await Task.Delay(remaining < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : remaining, cancellationToken);
        }
    }

    private static Fault DrawFault(FaultProfile? faults)
    {
        if (faults is null)
        {
            return Fault.None;
        }

        var draw = Random.Shared.NextDouble();
        if (draw < faults.Reset)
        {
            return Fault.Reset;
        }

        if (draw < faults.Reset + faults.Malformed)
        {
            return Fault.Malformed;
        }

        return draw < faults.Reset + faults.Malformed + faults.NoResponse ? Fault.NoResponse : Fault.None;
    }

    private enum Fault
    {
        None,
        Reset,
        Malformed,
        NoResponse,
    }
}
