using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.RegularExpressions;
using HdrHistogram;
using RoundRobinLab.Scenarios.Histograms;

namespace RoundRobinLab.Scenarios.Tests.Histograms;

public sealed partial class HlogTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"hlog-{Guid.NewGuid():N}.hlog");

    public void Dispose() => File.Delete(_path);

    private static LongHistogram Latencies(int count, long scale)
    {
        var histogram = new LongHistogram(3_600_000_000, 3);
        for (var i = 1; i <= count; i++)
        {
            histogram.RecordValue(i * scale);
        }

        return histogram;
    }

    private void WriteTwoIntervals()
    {
        using var log = new HlogWriter(_path, DateTimeOffset.FromUnixTimeSeconds(1_795_600_000), "steady, latency in microseconds");
        log.Append(Latencies(1000, 7), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        log.Append(Latencies(600, 7), "b1/2xx", TimeSpan.Zero, TimeSpan.FromSeconds(1));
        log.Append(Latencies(400, 11), "b2/5xx", TimeSpan.Zero, TimeSpan.FromSeconds(1));
        log.Append(Latencies(2000, 3), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void ReadBack_GivesTheSameHistograms_TagsAndIntervals()
    {
        WriteTwoIntervals();

        var intervals = HlogReader.Read(_path);

        intervals.Select(i => i.Tag).ShouldBe([null, "b1/2xx", "b2/5xx", null]);
        intervals[3].Start.ShouldBe(TimeSpan.FromSeconds(1));
        intervals[2].Histogram.TotalCount.ShouldBe(400);
        // Lossless: the percentiles of what was read are those of what was written.
        var written = Latencies(1000, 7);
        foreach (var percentile in new[] { 50.0, 99, 99.9, 100 })
        {
            intervals[0].Histogram.GetValueAtPercentile(percentile).ShouldBe(written.GetValueAtPercentile(percentile));
        }
    }

    /// <summary>
    /// The file as Java's HistogramLogReader reads it, decoded here without HdrHistogram.NET: ASCII
    /// lines, the 1.3 header, "[Tag=x,]start,length,max,base64"; the base64 a compressed-cookie,
    /// a length, a complete zlib stream (header and Adler-32: ZLibStream checks both), inside it
    /// the V2 encoding whose ZigZag LEB128 counts add up to the histogram's count.
    /// </summary>
    [Fact]
    public void File_IsWhatJavasHistogramLogReaderReads()
    {
        WriteTwoIntervals();
        var bytes = File.ReadAllBytes(_path);
        bytes.ShouldAllBe(b => b < 0x80);
        var lines = File.ReadAllLines(_path);
        lines.ShouldContain("#[Histogram log format version 1.3]");
        lines.ShouldContain(line => line.StartsWith("#[StartTime: 1795600000.000 (seconds since epoch), 2026-", StringComparison.Ordinal));
        lines.ShouldContain("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"");
        var data = lines.Where(l => !l.StartsWith('#') && !l.StartsWith('"')).ToList();
        data.Count.ShouldBe(4);

        long[] expected = [1000, 600, 400, 2000];
        for (var i = 0; i < data.Count; i++)
        {
            var match = JavaIntervalLine().Match(data[i]);
            match.Success.ShouldBeTrue(data[i]);
            CountsInCompressedHistogram(match.Groups["histogram"].Value).ShouldBe(expected[i]);
        }
    }

    [Fact]
    public void HdrHistogramNetsOwnLogWriter_WritesUtf16_WhichOtherReadersRefuse()
    {
        // Why HlogWriter exists: the library's writer goes through a UTF-16 StreamWriter.
        using var stream = new MemoryStream();
        using (var writer = new HistogramLogWriter(stream))
        {
            writer.Write(DateTime.UtcNow, Latencies(10, 1));
        }

        stream.ToArray()[..2].ShouldBe(new byte[] { 0xFF, 0xFE });
    }

    [Fact]
    public void Append_ATagWithAComma_IsRefused()
    {
        using var log = new HlogWriter(_path, DateTimeOffset.UtcNow, "x");

        Should.Throw<ArgumentException>(() => log.Append(Latencies(1, 1), "b1,2xx", TimeSpan.Zero, TimeSpan.FromSeconds(1)));
    }

    private static long CountsInCompressedHistogram(string base64)
    {
        var bytes = Convert.FromBase64String(base64);
        BinaryPrimitives.ReadInt32BigEndian(bytes).ShouldBe(0x1c849314);
        var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        length.ShouldBe(bytes.Length - 8);
        // A zlib header: deflate (CM 8) and a check value that makes CMF·256 + FLG a multiple of 31.
        (bytes[8] & 0x0F).ShouldBe(8);
        (((bytes[8] << 8) | bytes[9]) % 31).ShouldBe(0);
        using var zlib = new ZLibStream(new MemoryStream(bytes, 8, length), CompressionMode.Decompress);
        using var inflated = new MemoryStream();
        zlib.CopyTo(inflated);
        var inner = inflated.ToArray();
        BinaryPrimitives.ReadInt32BigEndian(inner).ShouldBe(0x1c849313);
        var payloadLength = BinaryPrimitives.ReadInt32BigEndian(inner.AsSpan(4));
        // Header: cookie, payload length, normalizing offset, significant digits (3), lowest, highest, ratio: 40 bytes.
        BinaryPrimitives.ReadInt32BigEndian(inner.AsSpan(12)).ShouldBe(3);
        inner.Length.ShouldBe(40 + payloadLength);
        long total = 0;
        var position = 40;
        while (position < inner.Length)
        {
            // ZigZag LEB128, at most 9 bytes; a negative value is a run of that many empty buckets.
            ulong raw = 0;
            for (var shift = 0; ; shift += 7)
            {
                var b = inner[position++];
                raw |= (ulong)(b & (shift == 56 ? 0xFF : 0x7F)) << shift;
                if (shift == 56 || (b & 0x80) == 0)
                {
                    break;
                }
            }

            var value = (long)(raw >> 1) ^ -(long)(raw & 1);
            total += value > 0 ? value : 0;
        }

        return total;
    }

    [GeneratedRegex(@"^(Tag=[^,\s]+,)?[0-9]+\.[0-9]{3},[0-9]+\.[0-9]{3},[0-9]+\.[0-9]{3},(?<histogram>[A-Za-z0-9+/=]+)$")]
    private static partial Regex JavaIntervalLine();
}
