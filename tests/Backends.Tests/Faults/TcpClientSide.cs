using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RoundRobinLab.Backends.Tests.Faults;

/// <summary>The proxy's side of a relayed connection, with every wait bounded.</summary>
internal static class TcpClientSide
{
    /// <summary>Long enough for a loaded 2-core machine, short enough that a hang fails the test quickly.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    public static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    /// <summary>Reads until EOF; the bytes, how many reads brought them, and when the EOF came.</summary>
    public static async Task<(byte[] Bytes, int Reads, TimeSpan EofAt)> ReadToEndAsync(Socket socket, TimeSpan? patience = null)
    {
        using var timeout = new CancellationTokenSource(patience ?? Patience);
        var clock = Stopwatch.StartNew();
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        var reads = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, read);
            reads++;
        }

        return (received.ToArray(), reads, clock.Elapsed);
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (EOF before that fails).</summary>
    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, TimeSpan? patience = null)
    {
        using var timeout = new CancellationTokenSource(patience ?? Patience);
        var buffer = new byte[count];
        var at = 0;
        while (at < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(at), SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                throw new EndOfStreamException($"EOF after {at} of {count} bytes.");
            }

            at += read;
        }

        return buffer;
    }

    /// <summary>Sends <paramref name="message"/> and reads its echo; how long the round trip took.</summary>
    public static async Task<TimeSpan> EchoAsync(Socket socket, byte[] message)
    {
        var clock = Stopwatch.StartNew();
        await socket.SendAsync(message, SocketFlags.None);
        (await ReadExactlyAsync(socket, message.Length)).ShouldBe(message);
        return clock.Elapsed;
    }

    /// <summary>
    /// What one read brings within <paramref name="window"/>: "data", "eof", "reset", or "nothing"
    /// (the read was still waiting when the window closed).
    /// </summary>
    public static async Task<string> FirstReadAsync(Socket socket, TimeSpan window)
    {
        using var timeout = new CancellationTokenSource(window);
        try
        {
            return await socket.ReceiveAsync(new byte[1024], SocketFlags.None, timeout.Token) > 0 ? "data" : "eof";
        }
        catch (OperationCanceledException)
        {
            return "nothing";
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return "reset";
        }
    }
}
