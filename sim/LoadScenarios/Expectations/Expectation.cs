using System.Globalization;
using System.Text.RegularExpressions;
using HdrHistogram;

namespace RoundRobinLab.Scenarios.Expectations;

/// <summary>
/// A claim about what happens over a run's timeline, checked against what was measured and
/// reported like a threshold (verdict, measured value, reason). Written as a sentence; the events
/// are the timeline's names, or <c>start</c>, <c>end</c> or a time (<c>5s</c>):
/// <code>
/// b2 out of rotation within 1s after fault        /stats samples (~200 ms apart)
/// b2 in rotation within 4s after healed           /stats samples
/// b2 serves within 4s after healed                per-second counts (the first second wholly after the event that b2 answered in)
/// errors &lt; 0.1% from fault to healed              per-second counts, every second that overlaps the window
/// b1 p99 &gt; 50ms from throttle to healed           latency log, intervals whose middle is in the window (no backend: all requests)
/// b1 p99 rises 3x from throttle to healed         the same against the backend's intervals before the first event
/// b1 share &gt;= 30% from throttle to healed         per-second counts
/// </code>
/// </summary>
public sealed partial record Expectation(string Text, string Reason, ExpectationKind Kind, string? Backend, string From, string? To, string? Operator, double Value, string? Statistic)
{
    public static Expectation Parse(string text, string reason = "")
    {
        var line = Spaces().Replace(text.Trim(), " ");
        if (RotationPattern().Match(line) is { Success: true } rotation)
        {
            var kind = rotation.Groups["out"].Success ? ExpectationKind.OutOfRotation : ExpectationKind.InRotation;
            return new(text, reason, kind, rotation.Groups["b"].Value, rotation.Groups["e"].Value, null, "<=", Seconds(rotation.Groups["d"].Value, text), null);
        }

        if (ServesPattern().Match(line) is { Success: true } serves)
        {
            return new(text, reason, ExpectationKind.Serves, serves.Groups["b"].Value, serves.Groups["e"].Value, null, "<=", Seconds(serves.Groups["d"].Value, text), null);
        }

        if (ErrorsPattern().Match(line) is { Success: true } errors)
        {
            return new(text, reason, ExpectationKind.Errors, null, errors.Groups["e1"].Value, errors.Groups["e2"].Value, errors.Groups["op"].Value,
                Number(errors.Groups["v"].Value), errors.Groups["pct"].Success ? "%" : "count");
        }

        if (RisesPattern().Match(line) is { Success: true } rises)
        {
            return new(text, reason, ExpectationKind.LatencyRises, BackendOf(rises), rises.Groups["e1"].Value, rises.Groups["e2"].Value, ">=",
                Number(rises.Groups["v"].Value), rises.Groups["stat"].Value.ToLowerInvariant());
        }

        if (LatencyPattern().Match(line) is { Success: true } latency)
        {
            var value = Number(latency.Groups["v"].Value) * (latency.Groups["unit"].Value.Equals("s", StringComparison.OrdinalIgnoreCase) ? 1000 : 1);
            return new(text, reason, ExpectationKind.Latency, BackendOf(latency), latency.Groups["e1"].Value, latency.Groups["e2"].Value, latency.Groups["op"].Value,
                value, latency.Groups["stat"].Value.ToLowerInvariant());
        }

        if (SharePattern().Match(line) is { Success: true } share)
        {
            return new(text, reason, ExpectationKind.Share, share.Groups["b"].Value, share.Groups["e1"].Value, share.Groups["e2"].Value, share.Groups["op"].Value,
                Number(share.Groups["v"].Value), null);
        }

        throw new FormatException($"expectation '{text}': write one of 'B out of rotation within 1s after EVENT', 'B in rotation within 4s after EVENT', "
            + "'B serves within 4s after EVENT', 'errors < 0.1% from EVENT to EVENT', '[B] p99 > 50ms from EVENT to EVENT', '[B] p99 rises 3x from EVENT to EVENT', "
            + "'B share >= 30% from EVENT to EVENT' (EVENT: a timeline event's name, start, end or a time like 5s).");
    }

    /// <summary>The event names it refers to, for checking them against the timeline when the scenario is read.</summary>
    public IEnumerable<string> EventNames() => new[] { From, To }.OfType<string>().Where(e => !IsBuiltIn(e));

    public ExpectationResult Evaluate(RunRecord run)
    {
        var from = At(From, run);
        var to = To is null ? double.NaN : At(To, run);
        if (double.IsNaN(from) || (To is not null && double.IsNaN(to)))
        {
            return Verdict(double.NaN, $"event '{(double.IsNaN(from) ? From : To)}' did not happen in the run", false);
        }

        return Kind switch
        {
            ExpectationKind.OutOfRotation or ExpectationKind.InRotation => Rotation(run, from),
            ExpectationKind.Serves => Serves(run, from),
            ExpectationKind.Errors => Errors(run, from, to),
            ExpectationKind.Latency => Latency(run, from, to),
            ExpectationKind.LatencyRises => Rises(run, from, to),
            ExpectationKind.Share => Share(run, from, to),
            _ => throw new InvalidOperationException($"no evaluation for {Kind}"),
        };
    }

    private ExpectationResult Rotation(RunRecord run, double from)
    {
        var wanted = Kind == ExpectationKind.InRotation;
        var after = run.Rotation.Where(s => s.Second >= from && s.InRotation.ContainsKey(Backend!)).ToList();
        if (after.Count == 0)
        {
            return Verdict(double.NaN, $"no /stats sample showed {Backend} after {From}", false);
        }

        var first = after.FirstOrDefault(s => s.InRotation[Backend!] == wanted);
        if (first is null)
        {
            return Verdict(double.NaN, Inv($"{Backend} stayed {(wanted ? "out of" : "in")} rotation in all {after.Count} /stats samples from {From} ({from:0.##} s) to {after[^1].Second:0.##} s"), false);
        }

        var delay = first.Second - from;
        return Verdict(delay, Inv($"{Backend} {(wanted ? "in" : "out of")} rotation {delay:0.##} s after {From} ({from:0.##} s), first seen in /stats at {first.Second:0.##} s"), delay <= Value);
    }

    private ExpectationResult Serves(RunRecord run, double from)
    {
        // A point counts the second before its stamp; the first one that starts after the event
        // (0.1 s of slack for the stamps' rounding) holds only requests sent after it.
        var first = run.Timeline.FirstOrDefault(p => p.Second - 1 >= from - 0.1 && p.Backends.GetValueOrDefault(Backend!) > 0);
        if (first is null)
        {
            return Verdict(double.NaN, Inv($"{Backend} answered no request from {From} ({from:0.##} s) to the end ({run.End:0.##} s)"), false);
        }

        var delay = first.Second - from;
        return Verdict(delay, Inv($"{Backend} answered {first.Backends[Backend!]} requests in the second ending {first.Second:0.#} s: at most {delay:0.##} s after {From} ({from:0.##} s)"), delay <= Value);
    }

    private ExpectationResult Errors(RunRecord run, double from, double to)
    {
        var points = Overlapping(run, from, to);
        var completed = points.Sum(p => p.Completed);
        var errors = points.Sum(p => p.Errors);
        var percent = Statistic == "%";
        var actual = percent ? (completed == 0 ? double.NaN : 100.0 * errors / completed) : errors;
        return Verdict(actual, Inv($"{errors} errors in {completed} requests ({(completed == 0 ? 0 : 100.0 * errors / completed):0.###}%) in the seconds from {Window(from, to)}"), Compare(actual));
    }

    private ExpectationResult Latency(RunRecord run, double from, double to)
    {
        var (ms, count) = Statistics(Within(run, from, to));
        return Verdict(ms, Inv($"{Who} {Statistic} {ms:0.###} ms over {count} requests from {Window(from, to)}"), Compare(ms));
    }

    private ExpectationResult Rises(RunRecord run, double from, double to)
    {
        var first = run.Events.Count == 0 ? from : Math.Min(from, run.Events.Values.Min());
        var (before, beforeCount) = Statistics(run.Latency.Where(i => Matches(i) && i.Start + i.Length <= first + 0.05));
        var (during, duringCount) = Statistics(Within(run, from, to));
        var ratio = before > 0 && duringCount > 0 ? during / before : double.NaN;
        return Verdict(ratio, Inv($"{Who} {Statistic} {during:0.###} ms over {duringCount} requests from {Window(from, to)}, {before:0.###} ms over {beforeCount} before {first:0.##} s: ×{ratio:0.##}"), ratio >= Value);
    }

    private ExpectationResult Share(RunRecord run, double from, double to)
    {
        var points = Overlapping(run, from, to);
        var all = points.Sum(p => p.Backends.Values.Sum());
        var mine = points.Sum(p => p.Backends.GetValueOrDefault(Backend!));
        var share = all == 0 ? double.NaN : 100.0 * mine / all;
        return Verdict(share, Inv($"{Backend} answered {mine} of {all} requests ({share:0.##}%) in the seconds from {Window(from, to)}"), Compare(share));
    }

    private string Who => Backend is null ? "all requests'" : $"{Backend}'s";

    private static string Window(double from, double to) => Inv($"{from:0.##} s to {to:0.##} s");

    /// <summary>The timeline's points that overlap the window: each covers (stamp − 1, stamp].</summary>
    private static List<Engine.TimelinePoint> Overlapping(RunRecord run, double from, double to) =>
        [.. run.Timeline.Where(p => p.Second > from && p.Second - 1 < to)];

    private IEnumerable<BackendInterval> Within(RunRecord run, double from, double to) =>
        run.Latency.Where(i => Matches(i) && i.Middle >= from && i.Middle <= to);

    private bool Matches(BackendInterval interval) => Backend is null || interval.Backend == Backend;

    private (double Ms, long Count) Statistics(IEnumerable<BackendInterval> intervals)
    {
        var merged = new LongHistogram(Engine.ResponseRecorder.HighestLatencyMicros, 3);
        foreach (var interval in intervals)
        {
            merged.Add(interval.Histogram);
        }

        if (merged.TotalCount == 0)
        {
            return (double.NaN, 0);
        }

        var micros = Statistic switch
        {
            "max" => merged.GetMaxValue(),
            "mean" => merged.GetMean(),
            _ => merged.GetValueAtPercentile(Percentile(Statistic!)),
        };
        return (micros / 1000.0, merged.TotalCount);
    }

    /// <summary>p50 → 50, p99 → 99, p999 → 99.9, p9999 → 99.99.</summary>
    private static double Percentile(string statistic)
    {
        var digits = statistic[1..];
        return digits.Length <= 2 ? double.Parse(digits, CultureInfo.InvariantCulture) : double.Parse(digits[..2] + "." + digits[2..], CultureInfo.InvariantCulture);
    }

    private bool Compare(double actual) => !double.IsNaN(actual) && Operator switch
    {
        "<" => actual < Value,
        "<=" => actual <= Value,
        ">" => actual > Value,
        ">=" => actual >= Value,
        _ => false,
    };

    private ExpectationResult Verdict(double measured, string measurement, bool passed) => new(Text, Reason, measured, measurement, passed && !double.IsNaN(measured));

    private static bool IsBuiltIn(string name) => name is "start" or "end" || char.IsDigit(name[0]);

    private static double At(string name, RunRecord run) => name switch
    {
        "start" => 0,
        "end" => run.End,
        _ when char.IsDigit(name[0]) => Timeline.TimelineEvent.ParseSeconds(name, name).TotalSeconds,
        _ => run.Events.TryGetValue(name, out var second) ? second : double.NaN,
    };

    private static string? BackendOf(Match match) => match.Groups["b"].Success ? match.Groups["b"].Value : null;

    private static double Seconds(string value, string text)
    {
        try
        {
            return Timeline.TimelineEvent.ParseSeconds(value, text).TotalSeconds;
        }
        catch (FormatException)
        {
            throw new FormatException($"expectation '{text}': '{value}' is not a time (e.g. 1s, 500ms).");
        }
    }

    private static double Number(string value) => double.Parse(value, CultureInfo.InvariantCulture);

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private const string Event = @"[A-Za-z0-9][A-Za-z0-9_.-]*";

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"^(?<b>\w+) (?:(?<out>out of)|in) rotation within (?<d>[0-9.]+(?:ms|s)?) after (?<e>" + Event + ")$", RegexOptions.IgnoreCase)]
    private static partial Regex RotationPattern();

    [GeneratedRegex(@"^(?<b>\w+) serves within (?<d>[0-9.]+(?:ms|s)?) after (?<e>" + Event + ")$", RegexOptions.IgnoreCase)]
    private static partial Regex ServesPattern();

    [GeneratedRegex(@"^errors ?(?<op><=|>=|<|>) ?(?<v>[0-9]+(?:\.[0-9]+)?)(?<pct>%)? from (?<e1>" + Event + ") to (?<e2>" + Event + ")$", RegexOptions.IgnoreCase)]
    private static partial Regex ErrorsPattern();

    [GeneratedRegex(@"^(?:(?<b>(?!p[0-9])\w+) )?(?<stat>p[0-9]{2,4}|max|mean) rises (?<v>[0-9]+(?:\.[0-9]+)?)x from (?<e1>" + Event + ") to (?<e2>" + Event + ")$", RegexOptions.IgnoreCase)]
    private static partial Regex RisesPattern();

    [GeneratedRegex(@"^(?:(?<b>(?!p[0-9])\w+) )?(?<stat>p[0-9]{2,4}|max|mean) ?(?<op><=|>=|<|>) ?(?<v>[0-9]+(?:\.[0-9]+)?)(?<unit>ms|s) from (?<e1>" + Event + ") to (?<e2>" + Event + ")$", RegexOptions.IgnoreCase)]
    private static partial Regex LatencyPattern();

    [GeneratedRegex(@"^(?<b>\w+) share ?(?<op><=|>=|<|>) ?(?<v>[0-9]+(?:\.[0-9]+)?)% from (?<e1>" + Event + ") to (?<e2>" + Event + ")$", RegexOptions.IgnoreCase)]
    private static partial Regex SharePattern();
}
