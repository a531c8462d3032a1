namespace RoundRobinLab.Proxy.Balancing;

/// <summary>
/// One cycle of nginx's smooth weighted round robin, computed once per change of the set in
/// rotation, so that picking stays one atomic ticket and one array index (no lock, no per-pick
/// arithmetic over weights, exact at any concurrency).
/// <para>
/// Each step adds every backend's weight to its running score, picks the highest score (the
/// first on a tie) and takes the total weight W from the winner. Over W steps each backend is
/// picked exactly its weight, and the picks are interleaved: weights 5, 1, 1 give
/// a a b a c a a, not a a a a a b c. Equal weights give the backends in order: plain round robin.
/// </para>
/// </summary>
internal static class SmoothSchedule
{
    /// <param name="weights">The weight of each backend, in order; each at least 1.</param>
    /// <returns>Indexes into <paramref name="weights"/>, one cycle long (the sum of the weights).</returns>
    public static int[] Build(ReadOnlySpan<int> weights)
    {
        var total = 0;
        var equal = true;
        foreach (var weight in weights)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(weight, 1, nameof(weights));
            total += weight;
            equal &= weight == weights[0];
        }

        // Equal weights: the smooth order is the plain order, and one pass over the backends is a
        // whole cycle (a schedule as long as the weights' sum would only repeat it).
        if (equal)
        {
            var plain = new int[weights.Length];
            for (var i = 0; i < plain.Length; i++)
            {
                plain[i] = i;
            }

            return plain;
        }

        var schedule = new int[total];
        Span<long> score = weights.Length <= 128 ? stackalloc long[weights.Length] : new long[weights.Length];
        score.Clear();
        for (var step = 0; step < total; step++)
        {
            var best = 0;
            for (var i = 0; i < weights.Length; i++)
            {
                score[i] += weights[i];
                if (score[i] > score[best])
                {
                    best = i;
                }
            }

            score[best] -= total;
            schedule[step] = best;
        }

        return schedule;
    }
}
