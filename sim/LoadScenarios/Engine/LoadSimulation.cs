namespace RoundRobinLab.Scenarios.Engine;

/// <summary>
/// How load is applied, in NBomber's terms. Open models send at a rate whatever the target does,
/// and measure latency from the moment each request was due, so a stalled target cannot hide its
/// stall (coordinated omission). Closed models keep N users busy, each waiting for its answer.
/// </summary>
public abstract record LoadSimulation(TimeSpan Duration)
{
    public abstract string Describe();

    /// <summary>
    /// Agent <paramref name="index"/>'s segment of this load among <paramref name="agents"/>, so
    /// that the segments add up to the whole exactly (k6's execution segments): an open model's
    /// requests are dealt out in turn (agent i sends the whole schedule's requests i, i + N, ...
    /// at their due times), a closed model's users split as evenly as whole users allow.
    /// </summary>
    public abstract LoadSimulation Segment(int index, int agents);

    /// <summary>Agent <paramref name="index"/>'s whole share of <paramref name="total"/> among <paramref name="agents"/>: the shares differ by at most one and add up.</summary>
    protected static int Share(int total, int index, int agents) =>
        (int)((((long)index + 1) * total / agents) - ((long)index * total / agents));

    protected static void CheckSegment(int index, int agents)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(agents, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, agents);
    }

    /// <summary>Open model: requests per second rising (or falling) linearly from From to To.</summary>
    public sealed record Open(double From, double To, TimeSpan Duration) : LoadSimulation(Duration)
    {
        /// <summary>This agent sends the whole schedule's requests Offset, Offset + Stride, ...: 0 and 1 for the whole load.</summary>
        public int Offset { get; init; }

        public int Stride { get; init; } = 1;

        public override string Describe() => (From == To ? $"open, {From:0.#} req/s for {Duration.TotalSeconds:0.#}s" : $"open, ramp {From:0.#} -> {To:0.#} req/s over {Duration.TotalSeconds:0.#}s")
            + (Stride > 1 ? $" (agent {Offset + 1} of {Stride}: every {Stride}th request)" : "");

        public override LoadSimulation Segment(int index, int agents)
        {
            CheckSegment(index, agents);
            return this with { Offset = index, Stride = agents };
        }

        /// <summary>
        /// When request <paramref name="n"/> (0-based) is due, from the start: the inverse of the
        /// request count so far, N(t) = From·t + (To − From)·t² / 2D. Null when it falls after the end.
        /// </summary>
        public TimeSpan? DueTime(long n)
        {
            // This agent's n-th request is the whole schedule's (n·Stride + Offset)-th.
            n = (n * Stride) + Offset;
            var d = Duration.TotalSeconds;
            var slope = (To - From) / d;
            double t;
            if (Math.Abs(slope) < 1e-12)
            {
                t = n / From;
            }
            else
            {
                // slope/2·t² + From·t − n = 0, the root that is positive.
                var discriminant = (From * From) + (2 * slope * n);
                if (discriminant < 0)
                {
                    return null;
                }

                t = (-From + Math.Sqrt(discriminant)) / slope;
            }

            return t >= 0 && t < d ? TimeSpan.FromSeconds(t) : null;
        }
    }

    /// <summary>Closed model: From users at the start, growing (or shrinking) linearly to To.</summary>
    public sealed record Closed(int From, int To, TimeSpan Duration) : LoadSimulation(Duration)
    {
        public override string Describe() => From == To ? $"closed, {From} users for {Duration.TotalSeconds:0.#}s" : $"closed, ramp {From} -> {To} users over {Duration.TotalSeconds:0.#}s";

        public override LoadSimulation Segment(int index, int agents)
        {
            CheckSegment(index, agents);
            return this with { From = Share(From, index, agents), To = Share(To, index, agents) };
        }

        public int UsersAt(TimeSpan elapsed) =>
            (int)Math.Round(From + ((To - From) * Math.Clamp(elapsed / Duration, 0, 1)));
    }

    public static Open Rate(double perSecond, TimeSpan duration) => new(perSecond, perSecond, duration);

    public static Open Ramp(double from, double to, TimeSpan duration) => new(from, to, duration);

    public static Closed Users(int users, TimeSpan duration) => new(users, users, duration);

    public static Closed RampUsers(int from, int to, TimeSpan duration) => new(from, to, duration);
}
