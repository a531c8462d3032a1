using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// A WebSocket connection through the proxy, once the backend answered <c>101</c>: its
/// handshake headers go to the client with Kestrel's own 101, then bytes are copied both ways,
/// unread and unchanged (frames are the two ends' business), until either side closes or no byte
/// moves either way for --idle-timeout; then both are closed. The tunnel is one request in the
/// rotation, in flight while it is open (the caller counts it around this).
/// </summary>
internal static class WebSocketTunnel
{
    private const int BufferSize = 16 * 1024;

    public static async Task RunAsync(HttpContext context, IHttpUpgradeFeature upgrade, UpstreamConnection connection, TimeSpan idleTimeout)
    {
        try
        {
            var destination = context.Response.Headers;
            foreach (var header in connection.Head.Headers)
            {
                // Kestrel writes Connection: Upgrade with its 101; the rest (Upgrade,
                // Sec-WebSocket-Accept, -Protocol, -Extensions, cookies) is the backend's.
                if (!header.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                    && !header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                    && !header.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                {
                    destination.Append(header.Key, header.Value);
                }
            }

            var client = await upgrade.UpgradeAsync();
            using var idle = new CancellationTokenSource(idleTimeout);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(idle.Token, context.RequestAborted);
            var down = CopyAsync(connection.ReadAsync, (bytes, token) => WriteAndFlushAsync(client, bytes, token), idle, idleTimeout, stop.Token);
            var up = CopyAsync(client.ReadAsync, connection.WriteAsync, idle, idleTimeout, stop.Token);

            // Either side closing (or the idle timeout) ends both directions.
            await Task.WhenAny(down, up);
            await stop.CancelAsync();
            connection.Dispose();
            await Task.WhenAll(Quietly(down), Quietly(up));
        }
        finally
        {
            connection.Dispose();
        }
    }

    private static async Task CopyAsync(
        Func<Memory<byte>, CancellationToken, ValueTask<int>> read, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write,
        CancellationTokenSource idle, TimeSpan idleTimeout, CancellationToken token)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var count = await read(buffer, token);
                if (count == 0)
                {
                    return;
                }

                await write(buffer.AsMemory(0, count), token);
                // A byte moved: the idle timeout starts again (for both directions).
                idle.CancelAfter(idleTimeout);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask WriteAndFlushAsync(Stream stream, ReadOnlyMemory<byte> bytes, CancellationToken token)
    {
        await stream.WriteAsync(bytes, token);
        await stream.FlushAsync(token);
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // The tunnel is closing: a read or write cut short by it is expected.
        }
    }
}
