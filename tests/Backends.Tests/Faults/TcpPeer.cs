using System.Net;
using System.Net.Sockets;

namespace RoundRobinLab.Backends.Tests.Faults;

/// <summary>
/// A tiny TCP server on loopback standing in for a backend behind a relay: every connection it
/// accepts is handed to one handler (echo, or send some bytes and close or hold).
/// </summary>
internal sealed class TcpPeer : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Func<Socket, CancellationToken, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _connections = [];
    private readonly Task _accepting;

    private TcpPeer(Func<Socket, CancellationToken, Task> handler)
    {
        _handler = handler;
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    /// <summary>Sends back what it receives; closes its side after the client closes its own.</summary>
    public static TcpPeer Echo() => new(async (socket, stop) =>
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop)) > 0)
        {
            await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stop);
        }

        socket.Shutdown(SocketShutdown.Send);
    });

    /// <summary>Sends <paramref name="data"/> in one write, then closes, or holds the connection open until stopped.</summary>
    public static TcpPeer Sends(byte[] data, bool thenClose) => new(async (socket, stop) =>
    {
        await socket.SendAsync(data, SocketFlags.None, stop);
        if (thenClose)
        {
            socket.Shutdown(SocketShutdown.Send);
        }

        await Task.Delay(Timeout.Infinite, stop);
    });

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_connections)
            {
                _connections.Add(ServeAsync(socket));
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                await _handler(socket, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped, or the relay reset it: either way this connection is over.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        await Task.WhenAll(connections);
        _stop.Dispose();
    }
}
