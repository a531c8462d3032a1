using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using HdrHistogram;

namespace RoundRobinLab.Scenarios.Engine;

/// <summary>
/// WebSocket sessions instead of requests: each opens a session on /ws through the target,
/// sends a text message and a binary one of <paramref name="binaryBytes"/>, checks both echoes
/// (the text comes back tagged with the backend's id, which is how the session is attributed)
/// and closes. <c>concurrency</c> sessions are open at a time. A session that fails or whose
/// echo differs by one byte is an error (bad response); its latency is the whole session.
/// </summary>
public static class WebSocketRunner
{
    public static async Task<RunOutcome> RunAsync(Uri target, int sessions, int concurrency, int binaryBytes, CancellationToken cancellationToken)
    {
        var address = new UriBuilder(target) { Scheme = target.Scheme == Uri.UriSchemeHttps ? "wss" : "ws", Path = "/ws" }.Uri;
        var latency = new LongHistogram(ResponseRecorder.HighestLatencyMicros, 3);
        var backends = new Dictionary<string, long>();
        var errors = new Dictionary<ErrorKind, long>();
        var payload = new byte[binaryBytes];
        new Random(2611).NextBytes(payload);
        var clock = Stopwatch.StartNew();
        var gate = new object();

        await Parallel.ForAsync(0, sessions, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (_, token) =>
        {
            var started = Stopwatch.GetTimestamp();
            var (backend, error) = await SessionAsync(address, payload, token);
            lock (gate)
            {
                latency.RecordValue(Math.Clamp((long)Stopwatch.GetElapsedTime(started).TotalMicroseconds, 1, ResponseRecorder.HighestLatencyMicros));
                if (error is { } kind)
                {
                    errors[kind] = errors.GetValueOrDefault(kind) + 1;
                }

                if (backend is not null)
                {
                    backends[backend] = backends.GetValueOrDefault(backend) + 1;
                }
            }
        });

        var measured = clock.Elapsed;
        return new RunOutcome
        {
            Latency = latency,
            Measured = measured,
            Completed = sessions,
            Bytes = 2L * sessions * binaryBytes,
            Errors = errors,
            StatusCodes = new() { [101] = sessions - errors.Values.Sum() },
            BackendsAllPhases = backends,
            Timeline = [new TimelinePoint(Math.Round(measured.TotalSeconds, 1), sessions, errors.Values.Sum(), 0, 0, new(backends))],
            Events = [],
        };
    }

    /// <summary>The backend that served the session (from its tag), and the error if it failed.</summary>
    private static async Task<(string? Backend, ErrorKind? Error)> SessionAsync(Uri address, byte[] payload, CancellationToken token)
    {
        using var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(address, token);
        }
        catch (WebSocketException)
        {
            return (null, ErrorKind.Connect);
        }

        try
        {
            await socket.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, token);
            var (_, text) = await ReceiveAsync(socket, token);
            var tagged = Encoding.UTF8.GetString(text);
            var backend = tagged.EndsWith(":hello", StringComparison.Ordinal) ? tagged[..^":hello".Length] : null;
            await socket.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, token);
            var (type, echoed) = await ReceiveAsync(socket, token);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", token);
            return backend is null || type != WebSocketMessageType.Binary || !echoed.AsSpan().SequenceEqual(payload)
                ? (backend, ErrorKind.BadResponse)
                : (backend, null);
        }
        catch (WebSocketException)
        {
            return (null, ErrorKind.Reset);
        }
    }

    private static async Task<(WebSocketMessageType Type, byte[] Bytes)> ReceiveAsync(ClientWebSocket socket, CancellationToken token)
    {
        var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(), token);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return (result.MessageType, message.ToArray());
    }
}
