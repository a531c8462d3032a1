using System.Globalization;
using HdrHistogram;

namespace RoundRobinLab.Scenarios.Histograms;

/// <summary>
/// An HdrHistogram interval log (.hlog, format 1.3, as Java's HistogramLogWriter writes it): one
/// line per histogram of an interval, its start relative to the log's base time. Each interval
/// has an untagged line (every answer) and one line per tag (a backend and a status class,
/// "b1/2xx"): the tools that read hlogs take the untagged lines unless asked for a tag.
/// </summary>
public sealed class HlogWriter : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly double _baseSeconds;

    public HlogWriter(string path, DateTimeOffset baseTime, string comment)
    {
        _writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { NewLine = "\n" };
        _baseSeconds = baseTime.ToUnixTimeMilliseconds() / 1000.0;
        _writer.WriteLine($"#[{comment}]");
        _writer.WriteLine("#[Histogram log format version 1.3]");
        _writer.WriteLine(F($"#[StartTime: {_baseSeconds:0.000} (seconds since epoch), {baseTime.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}]"));
        _writer.WriteLine(F($"#[BaseTime: {_baseSeconds:0.000} (seconds since epoch)]"));
        _writer.WriteLine("\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"");
    }

    /// <summary>
    /// One interval's histogram: <paramref name="start"/> from the base time, its length, and a
    /// tag (no commas or spaces) or null for the untagged line. Values are microseconds; the max
    /// column is in milliseconds, as Java's writer scales it.
    /// </summary>
    public void Append(HistogramBase histogram, string? tag, TimeSpan start, TimeSpan length)
    {
        if (tag is not null && tag.AsSpan().IndexOfAny(", \t") >= 0)
        {
            throw new ArgumentException($"an hlog tag cannot hold commas or spaces: '{tag}'", nameof(tag));
        }

        _writer.WriteLine(F($"{(tag is null ? "" : $"Tag={tag},")}{start.TotalSeconds:0.000},{length.TotalSeconds:0.000},{histogram.GetMaxValue() / 1000.0:0.000},{HlogEncoding.Encode(histogram)}"));
    }

    public void Dispose() => _writer.Dispose();

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
