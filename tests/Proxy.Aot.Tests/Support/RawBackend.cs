using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace RoundRobinLab.Proxy.Tests.Support;

/// <summary>
/// A backend on a bare loopback socket, for what a well-behaved server will not send: raw header
/// bytes, contradictory framing, unasked-for 101s, stalls and resets. Each accepted connection is
/// handed to the test's script; what it read is kept as Latin-1 text, byte for byte.
/// </summary>
internal sealed class RawBackend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<RawConnection, Task> _script;
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly Task _accepting;

    private RawBackend(Func<RawConnection, Task> script)
    {
        _script = script;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Request heads received, in order.</summary>
    public ConcurrentQueue<string> Heads { get; } = new();

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => _connections.Count;

    public static RawBackend Start(Func<RawConnection, Task> script) => new(script);

    /// <summary>Answers every request on the connection with <paramref name="response"/> (raw bytes, Latin-1).</summary>
    public static RawBackend Answering(string response) => new(async connection =>
    {
        while (await connection.ReadHeadAsync() is not null)
        {
            await connection.WriteAsync(response);
        }
    });

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                var connection = new RawConnection(socket, this, _stop.Token);
                _connections.Add(Task.Run(async () =>
                {
                    try
                    {
                        await _script(connection);
                    }
                    catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
                    {
                        // The proxy hung up; that is what many scripts provoke.
                    }
                    finally
                    {
                        connection.Dispose();
                    }
                }));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        await Task.WhenAll(_connections).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    internal sealed class RawConnection(Socket socket, RawBackend backend, CancellationToken stop) : IDisposable
    {
        private readonly NetworkStream _stream = new(socket, ownsSocket: true);
        private readonly List<byte> _pending = [];

        public CancellationToken Stopping => stop;

        /// <summary>Reads one request head (through the blank line); null when the proxy closed the connection.</summary>
        public async Task<string?> ReadHeadAsync()
        {
            var buffer = new byte[4096];
            while (true)
            {
                var end = IndexOfHeadEnd();
                if (end >= 0)
                {
                    var head = Encoding.Latin1.GetString([.. _pending.GetRange(0, end + 4)]);
                    _pending.RemoveRange(0, end + 4);
                    backend.Heads.Enqueue(head);
                    return head;
                }

                var read = await _stream.ReadAsync(buffer, stop);
                if (read == 0)
                {
                    return null;
                }

                _pending.AddRange(buffer.AsSpan(0, read).ToArray());
            }
        }

        /// <summary>Reads exactly <paramref name="count"/> body bytes (after the head).</summary>
        public async Task<byte[]> ReadBodyAsync(int count)
        {
            var body = new List<byte>(_pending.Take(count));
            _pending.RemoveRange(0, body.Count);
            var buffer = new byte[4096];
            while (body.Count < count)
            {
                var read = await _stream.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, count - body.Count)), stop);
                if (read == 0)
                {
                    break;
                }

                body.AddRange(buffer.AsSpan(0, read).ToArray());
            }

            return [.. body];
        }

        public Task WriteAsync(string latin1) => WriteAsync(Encoding.Latin1.GetBytes(latin1));

        public async Task WriteAsync(byte[] bytes)
        {
            await _stream.WriteAsync(bytes, stop);
            await _stream.FlushAsync(stop);
        }

        /// <summary>Waits until the proxy closes the connection (or the backend is disposed).</summary>
        public async Task WaitForCloseAsync()
        {
            var buffer = new byte[4096];
            while (await _stream.ReadAsync(buffer, stop) > 0)
            {
            }
        }

        /// <summary>Reads nothing more and sends nothing, until the backend is disposed.</summary>
        public Task HoldAsync() => Task.Delay(Timeout.Infinite, stop);

        /// <summary>Closes with a TCP reset rather than a FIN.</summary>
        public void Reset()
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }

        public void Dispose() => _stream.Dispose();

        private int IndexOfHeadEnd()
        {
            for (var i = 0; i + 3 < _pending.Count; i++)
            {
                if (_pending[i] == '\r' && _pending[i + 1] == '\n' && _pending[i + 2] == '\r' && _pending[i + 3] == '\n')
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
