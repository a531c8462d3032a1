using System.Buffers;
using System.Buffers.Text;

namespace RoundRobinLab.Proxy.Upstream;

/// <summary>Writes chunked coding (RFC 9112 §7.1) for a request body that has no Content-Length.</summary>
internal static class ChunkFraming
{
    /// <summary>One chunk: its size in hex, CRLF, the data, CRLF.</summary>
    public static void WriteChunk(IBufferWriter<byte> output, ReadOnlySequence<byte> data)
    {
        var line = output.GetSpan(20);
        Utf8Formatter.TryFormat(data.Length, line, out var written, new StandardFormat('X'));
        line[written++] = (byte)'\r';
        line[written++] = (byte)'\n';
        output.Advance(written);
        foreach (var segment in data)
        {
            output.Write(segment.Span);
        }

        output.Write("\r\n"u8);
    }
}
