using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace RoundRobinLab.Backends.Faults;

/// <summary>
/// Copies one direction of a relayed connection: upstream (client to backend) or downstream
/// (backend to client). Without a toxic in its stream, a chunk is a receive and a send on one
/// pooled buffer, nothing allocated; with toxics, <see cref="ForwardAsync"/> applies them.
/// </summary>
internal sealed class StreamPump(RelayConnection connection, Socket from, Socket to, bool upstream)
{
    /// <summary>One read's worth: a small request or answer in one chunk, a large body in few.</summary>
    private const int BufferSize = 16 * 1024;

    /// <summary>bandwidth: the Stopwatch time before which the next slice may not leave.</summary>
    private long _paceAt;

    public async Task RunAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None);
                var toxics = connection.For(upstream);
                if (toxics.IsEmpty)
                {
                    if (read == 0)
                    {
                        // Half-close, as the peer did: the other direction may still be talking.
                        to.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    await SendAsync(buffer.AsMemory(0, read));
                }
                else if (!await ForwardAsync(buffer.AsMemory(0, read), Stopwatch.GetTimestamp()))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A peer reset or vanished: the other one sees a reset too, as across a real network.
            // When the connection was ended here (a toxic, the relay stopping) this does nothing.
            connection.Close(reset: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// One chunk (empty: the peer's FIN) through this stream's toxics, in a fixed order: timeout
    /// holds it, reset-peer ends the connection, slow-close delays a FIN, limit-data cuts it,
    /// latency delays it, slicer and bandwidth pace its writing. False once the pump is done.
    /// </summary>
    private async Task<bool> ForwardAsync(Memory<byte> chunk, long readAt)
    {
        StreamToxics toxics;
        while (true)
        {
            // Changed first: a change between the two reads then wakes this wait instead of being missed.
            var changed = connection.Changed;
            toxics = connection.For(upstream);
            if (connection.IsClosed)
            {
                return false;
            }

            if (toxics.Hold is null)
            {
                break;
            }

            // timeout: the bytes wait in this pump and the kernel's buffers (the peer's writes
            // stall once they fill) until the toxic goes or its timer closes the connection.
            await changed;
        }

        if (chunk.IsEmpty)
        {
            await DelayAsync(TimeSpan.FromMilliseconds(toxics.SlowCloseMs));
            to.Shutdown(SocketShutdown.Send);
            return false;
        }

        if (toxics.ResetPeer is { } reset)
        {
            // As Toxiproxy's: the stream's next bytes start the clock, and are not relayed.
            await DelayAsync(TimeSpan.FromMilliseconds(reset.Attributes.Timeout ?? 0));
            if (!reset.Removed)
            {
                connection.Close(reset: true);
                return false;
            }

            // Removed while waiting: the chunk goes on under the toxics in force now.
            return await ForwardAsync(chunk, readAt);
        }

        var length = chunk.Length;
        foreach (var limit in toxics.Limits)
        {
            length = (int)Math.Min(length, (limit.Attributes.Bytes ?? 0) - limit.Relayed);
        }

        var latencyMs = toxics.LatencyMs + (toxics.JitterMs > 0 ? ((connection.Relay.NextDouble() * 2) - 1) * toxics.JitterMs : 0);
        await WaitUntilAsync(readAt + PreciseDelay.Due(TimeSpan.FromMilliseconds(latencyMs)));
        await WriteAsync(chunk[..length], toxics);
        var reached = false;
        foreach (var limit in toxics.Limits)
        {
            limit.Relayed += length;
            reached |= limit.Relayed >= (limit.Attributes.Bytes ?? 0);
        }

        if (reached)
        {
            // limit-data: exactly the limit has gone out; the FIN follows it.
            connection.Close(reset: false);
            return false;
        }

        return true;
    }

    /// <summary>slicer and bandwidth: the bytes in slices, each leaving no earlier than the rate allows.</summary>
    private async Task WriteAsync(Memory<byte> data, StreamToxics toxics)
    {
        var rate = toxics.BytesPerSecond;
        while (!data.IsEmpty)
        {
            var size = (long)data.Length;
            if (toxics.Slicer is { } slicer)
            {
                var average = slicer.AverageSize ?? 1;
                var variation = slicer.SizeVariation ?? 0;
                size = Math.Min(size, Math.Max(1, average + connection.Relay.NextInt64(-variation, variation + 1)));
            }

            if (rate > 0)
            {
                // At most 100 ms worth at a time, as Toxiproxy does, so a slow rate still trickles.
                size = Math.Min(size, Math.Max(1, rate / 10));
                // From now when idle: a quiet stream banks no credit for a later burst.
                _paceAt = Math.Max(_paceAt, Stopwatch.GetTimestamp()) + (size * Stopwatch.Frequency / rate);
                await WaitUntilAsync(_paceAt);
            }

            await SendAsync(data[..(int)size]);
            data = data[(int)size..];
            if (toxics.Slicer is { Delay: > 0 } slices && !data.IsEmpty)
            {
                await DelayAsync(TimeSpan.FromMicroseconds(slices.Delay.Value));
            }
        }
    }

    // Pooled: a send that waits for room in the socket's buffer allocates no state machine box.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            data = data[await to.SendAsync(data, SocketFlags.None)..];
        }
    }

    private Task DelayAsync(TimeSpan delay) => PreciseDelay.ForAsync(delay, connection.Closing);

    private Task WaitUntilAsync(long due) => PreciseDelay.UntilAsync(due, connection.Closing);
}
