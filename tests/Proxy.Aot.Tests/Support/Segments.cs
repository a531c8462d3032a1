using System.Buffers;

namespace RoundRobinLab.Proxy.Tests.Support;

/// <summary>
/// Bytes as a pipe hands them over: a sequence of several segments, so that a parser meets a
/// line split across two. Shared with the benchmarks (linked into their project).
/// </summary>
internal static class Segments
{
    /// <summary>The bytes in segments that start at <paramref name="cuts"/> (each offset a new segment).</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        if (cuts.Length == 0)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new Segment(bytes.AsMemory(0, cuts[0]), 0);
        var last = first;
        for (var i = 0; i < cuts.Length; i++)
        {
            var end = i + 1 < cuts.Length ? cuts[i + 1] : bytes.Length;
            last = last.Append(bytes.AsMemory(cuts[i], end - cuts[i]));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>The bytes in <paramref name="count"/> segments of about equal size.</summary>
    public static ReadOnlySequence<byte> Even(byte[] bytes, int count)
    {
        if (count <= 1 || bytes.Length < count)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var size = bytes.Length / count;
        var cuts = new List<int>();
        for (var offset = size; offset < bytes.Length; offset += size)
        {
            cuts.Add(offset);
        }

        return Split(bytes, [.. cuts]);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
