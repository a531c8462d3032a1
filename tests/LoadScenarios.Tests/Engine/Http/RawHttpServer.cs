using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RoundRobinLab.Scenarios.Tests.Engine.Http;

/// <summary>
/// A loopback server that reads HTTP/1.1 requests (head, Content-Length body) and lets the test
/// answer each with raw bytes: whatever framing, or none, or a reset. It counts connections and
/// keeps every request it read.
/// </summary>
internal sealed class RawHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<RawRequest, Socket, CancellationToken, Task> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly List<RawRequest> _requests = [];
    private readonly Task _accepting;
    private int _accepted;

    /// <param name="answer">Writes the answer to a request on the socket (and may close it).</param>
    public RawHttpServer(Func<RawRequest, Socket, Task> answer)
        : this((request, socket, _) => answer(request, socket))
    {
    }

    /// <param name="answer">Writes the answer to a request on the socket (and may close it); the token is cancelled when the server stops.</param>
    public RawHttpServer(Func<RawRequest, Socket, CancellationToken, Task> answer)
    {
        _answer = answer;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");

    public int Accepted => Volatile.Read(ref _accepted);

    public IReadOnlyList<RawRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static Task Write(Socket socket, string text) => socket.SendAsync(Encoding.ASCII.GetBytes(text));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default);
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            var connection = Interlocked.Increment(ref _accepted) - 1;
            lock (_connections)
            {
                _connections.Add(ServeAsync(socket, connection));
            }
        }
    }

    private async Task ServeAsync(Socket socket, int connection)
    {
        using var _ = socket;
        var buffer = new byte[4 * 1024 * 1024];
        var filled = 0;
        try
        {
            for (var onConnection = 0; ; onConnection++)
            {
                int end;
                while ((end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
                {
                    var read = await socket.ReceiveAsync(buffer.AsMemory(filled), _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    filled += read;
                }

                var head = Encoding.ASCII.GetString(buffer, 0, end + 4);
                var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                while (filled < end + 4 + length)
                {
                    filled += await socket.ReceiveAsync(buffer.AsMemory(filled), _stop.Token);
                }

                var request = new RawRequest(head, buffer[(end + 4)..(end + 4 + length)], connection, onConnection);
                buffer.AsSpan(end + 4 + length, filled - (end + 4 + length)).CopyTo(buffer);
                filled -= end + 4 + length;
                lock (_requests)
                {
                    _requests.Add(request);
                }

                await _answer(request, socket, _stop.Token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, or the test closed the socket in its answer.
        }
    }
}
