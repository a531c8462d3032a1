namespace RoundRobinLab.Scenarios.Analysis;

/// <summary>
/// How evenly requests were spread: counts per backend, their spread (max − min), the largest
/// relative deviation from each backend's expected share (the mean, or its weight's share), and
/// Pearson's chi-square against that split with its p-value (a high p means "consistent with
/// the split"; strict round robin gives χ² ≈ 0, p ≈ 1).
/// </summary>
public sealed record Distribution(
    IReadOnlyDictionary<string, long> Counts,
    long Total,
    long Spread,
    double MaxRelativeDeviation,
    double ChiSquare,
    int DegreesOfFreedom,
    double PValue,
    bool Weighted = false)
{
    /// <summary>
    /// The distribution of <paramref name="counts"/> over <paramref name="backends"/> (a backend with
    /// no count had 0), against an even split or, with <paramref name="weights"/>, each backend's
    /// weight over their sum (a backend without a weight: 1).
    /// </summary>
    public static Distribution Of(IReadOnlyDictionary<string, long> counts, IEnumerable<string> backends, IReadOnlyDictionary<string, int>? weights = null)
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

        var weightSum = all.Keys.Sum(b => weights?.GetValueOrDefault(b, 1) ?? 1);
        double Expected(string backend) => (double)total * (weights?.GetValueOrDefault(backend, 1) ?? 1) / weightSum;
        var spread = all.Values.Max() - all.Values.Min();
        var deviation = all.Max(c => Math.Abs(c.Value - Expected(c.Key)) / Expected(c.Key));
        var chi = all.Sum(c => (c.Value - Expected(c.Key)) * (c.Value - Expected(c.Key)) / Expected(c.Key));
        var df = Math.Max(1, k - 1);
        return new Distribution(all, total, spread, deviation, chi, df, k > 1 ? Analysis.ChiSquare.PValue(chi, df) : 1, weights is not null);
    }
}
