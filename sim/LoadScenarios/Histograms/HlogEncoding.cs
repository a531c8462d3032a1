using System.Buffers.Binary;
using System.IO.Compression;
using HdrHistogram;
using HdrHistogram.Encoding;
using HdrHistogram.Utilities;

namespace RoundRobinLab.Scenarios.Histograms;

/// <summary>
/// One histogram as the Interval_Compressed_Histogram field of an HdrHistogram interval log: the
/// V2 encoding, deflated in a zlib stream, behind the compressed-encoding cookie and the length.
/// HdrHistogram.NET 2.5.0's own log writer writes UTF-16 text and a zlib stream without its end
/// (no final block, no Adler-32), which Java's and Python's readers refuse; this writes what they
/// read. The V2 encoding itself (cookie 0x1c849313, ZigZag LEB128 counts) is the library's.
/// </summary>
public static class HlogEncoding
{
    /// <summary>Java's V2CompressedEncodingCookieBase | 0x10.</summary>
    public const int CompressedCookie = 0x1c849314;

    public static string Encode(HistogramBase histogram)
    {
        var buffer = ByteBuffer.Allocate(histogram.GetNeededByteBufferCapacity());
        var length = histogram.Encode(buffer, HistogramEncoderV2.Instance);
        // The buffer's array is not exposed: read the encoding back byte by byte.
        var encoded = new byte[length];
        buffer.Position = 0;
        for (var i = 0; i < length; i++)
        {
            encoded[i] = buffer.Get();
        }

        using var compressed = new MemoryStream();
        compressed.Write(new byte[8]);
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(encoded);
        }

        var bytes = compressed.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(bytes, CompressedCookie);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), bytes.Length - 8);
        return Convert.ToBase64String(bytes);
    }

    public static HistogramBase Decode(string base64)
    {
        var bytes = Convert.FromBase64String(base64);
        if (bytes.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(bytes) != CompressedCookie)
        {
            throw new FormatException("not a compressed V2 histogram (cookie 0x1c849314).");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        using var zlib = new ZLibStream(new MemoryStream(bytes, 8, length), CompressionMode.Decompress);
        using var inner = new MemoryStream();
        zlib.CopyTo(inner);
        return HistogramEncoding.DecodeFromByteBuffer(ByteBuffer.Allocate(inner.ToArray()), 0, null);
    }
}
