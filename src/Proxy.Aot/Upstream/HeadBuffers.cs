using System.Buffers;
using System.Collections.Concurrent;

namespace RoundRobinLab.Proxy.Upstream;

/// <summary>
/// Buffers for a request's header fields (<see cref="RequestHeadWriter.WriteHeaders"/>), pooled:
/// one is needed per request, before any connection is chosen, and must not be an allocation.
/// </summary>
internal static class HeadBuffers
{
    private const int MaxPooled = 1024;
    // A head larger than this is rare; its buffer is not kept, so one odd request cannot pin memory.
    private const int MaxKeptCapacity = 16 * 1024;
    private static readonly ConcurrentQueue<ArrayBufferWriter<byte>> s_pool = new();
    private static int s_pooled;

    // One buffer per thread before the shared queue (see UpstreamTimer: requests mostly rent and
    // return on the same I/O thread).
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_cached;

    public static ArrayBufferWriter<byte> Rent()
    {
        if (t_cached is { } cached)
        {
            t_cached = null;
            return cached;
        }

        if (s_pool.TryDequeue(out var buffer))
        {
            Interlocked.Decrement(ref s_pooled);
            return buffer;
        }

        return new ArrayBufferWriter<byte>(1024);
    }

    public static void Return(ArrayBufferWriter<byte> buffer)
    {
        if (buffer.Capacity > MaxKeptCapacity)
        {
            return;
        }

        buffer.ResetWrittenCount();
        if (t_cached is null)
        {
            t_cached = buffer;
            return;
        }

        if (Interlocked.Increment(ref s_pooled) > MaxPooled)
        {
            Interlocked.Decrement(ref s_pooled);
            return;
        }

        s_pool.Enqueue(buffer);
    }
}
