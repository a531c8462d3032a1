namespace RoundRobinLab.Scenarios.Engine;

/// <summary>
/// How load is applied, in NBomber's terms. Open models send at a rate whatever the target does,
/// and measure latency from the moment each request was due, so a stalled target cannot hide its
/// stall (coordinated omission). Closed models keep N users busy, each waiting for its answer.
/// </summary>
public abstract record LoadSimulation(TimeSpan Duration)
{
    public abstract string Describe();

    /// <summary>Open model: requests per second rising (or falling) linearly from From to To.</summary>
    public sealed record Open(double From, double To, TimeSpan Duration) : LoadSimulation(Duration)
    {
        public override string Describe() => From == To ? $"open, {From:0.#} req/s for {Duration.TotalSeconds:0.#}s" : $"open, ramp {From:0.#} -> {To:0.#} req/s over {Duration.TotalSeconds:0.#}s";

        /// <summary>
        /// When request <paramref name="n"/> (0-based) is due, from the start: the inverse of the
        /// request count so far, N(t) = From·t + (To − From)·t² / 2D. Null when it falls after the end.
        /// </summary>
        public TimeSpan? DueTime(long n)
        {
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

        public int UsersAt(TimeSpan elapsed) =>
            (int)Math.Round(From + ((To - From) * Math.Clamp(elapsed / Duration, 0, 1)));
    }

    public static Open Rate(double perSecond, TimeSpan duration) => new(perSecond, perSecond, duration);

    public static Open Ramp(double from, double to, TimeSpan duration) => new(from, to, duration);

    public static Closed Users(int users, TimeSpan duration) => new(users, users, duration);

    public static Closed RampUsers(int from, int to, TimeSpan duration) => new(from, to, duration);
}
