namespace RoundRobinLab.Scenarios.Analysis;

/// <summary>
/// How evenly requests were spread: counts per backend, their spread (max − min), the largest
/// relative deviation from the mean, and Pearson's chi-square against an even split with its
/// p-value (a high p means "consistent with even"; strict round robin gives χ² ≈ 0, p ≈ 1).
/// </summary>
public sealed record Distribution(
    IReadOnlyDictionary<string, long> Counts,
    long Total,
    long Spread,
    double MaxRelativeDeviation,
    double ChiSquare,
    int DegreesOfFreedom,
    double PValue)
{
    /// <summary>The distribution of <paramref name="counts"/> over <paramref name="backends"/> (a backend with no count had 0).</summary>
    public static Distribution Of(IReadOnlyDictionary<string, long> counts, IEnumerable<string> backends)
    {
        var all = backends.ToDictionary(b => b, b => counts.GetValueOrDefault(b));
        foreach (var (backend, count) in counts)
        {
            // An answer from a backend that was not expected still counts, and shows.
            all.TryAdd(backend, count);
        }

        var total = all.Values.Sum();
        var k = all.Count;
        if (k == 0 || total == 0)
        {
            return new Distribution(all, total, 0, 0, 0, Math.Max(1, k - 1), 1);
        }

        var expected = (double)total / k;
        var spread = all.Values.Max() - all.Values.Min();
        var deviation = all.Values.Max(c => Math.Abs(c - expected)) / expected;
        var chi = all.Values.Sum(c => (c - expected) * (c - expected) / expected);
        var df = Math.Max(1, k - 1);
        return new Distribution(all, total, spread, deviation, chi, df, k > 1 ? Analysis.ChiSquare.PValue(chi, df) : 1);
    }
}
