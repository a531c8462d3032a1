using System.Globalization;
using HdrHistogram;

namespace RoundRobinLab.Scenarios.Histograms;

/// <summary>One line of an interval log: a histogram, its tag (null: untagged) and its interval from the base time.</summary>
public sealed record HlogInterval(string? Tag, TimeSpan Start, TimeSpan Length, HistogramBase Histogram);

/// <summary>Reads an HdrHistogram interval log (.hlog) line by line: comments, the legend, then one histogram per line.</summary>
public static class HlogReader
{
    public static List<HlogInterval> Read(string path)
    {
        var intervals = new List<HlogInterval>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Length == 0 || line[0] == '#' || line[0] == '"')
            {
                continue;
            }

            try
            {
                string? tag = null;
                var rest = line.AsSpan();
                if (rest.StartsWith("Tag="))
                {
                    var comma = rest.IndexOf(',');
                    tag = rest[4..comma].ToString();
                    rest = rest[(comma + 1)..];
                }

                var fields = rest.ToString().Split(',');
                intervals.Add(new HlogInterval(tag,
                    TimeSpan.FromSeconds(double.Parse(fields[0], CultureInfo.InvariantCulture)),
                    TimeSpan.FromSeconds(double.Parse(fields[1], CultureInfo.InvariantCulture)),
                    HlogEncoding.Decode(fields[3])));
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentException or InvalidDataException)
            {
                throw new FormatException($"{path}:{number}: not an hlog interval line ({e.Message})", e);
            }
        }

        return intervals;
    }
}
