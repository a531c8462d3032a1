namespace RoundRobinLab.Scenarios.Expectations;

/// <summary>What an <see cref="Expectation"/> measures.</summary>
public enum ExpectationKind
{
    /// <summary>"b2 out of rotation within 1s after fault": from the /stats samples.</summary>
    OutOfRotation,

    /// <summary>"b2 in rotation within 4s after healed": from the /stats samples.</summary>
    InRotation,

    /// <summary>"b2 serves within 3s after healed": from the timeline's per-backend counts.</summary>
    Serves,

    /// <summary>"errors &lt; 0.1% from fault to healed" (or a count without %): from the timeline.</summary>
    Errors,

    /// <summary>"b1 p99 &gt; 50ms from throttle to healed" (or all requests without a backend): from the latency log.</summary>
    Latency,

    /// <summary>"b1 p99 rises 3x from throttle to healed": against the same backend's before the first event.</summary>
    LatencyRises,

    /// <summary>"b1 share &gt;= 30% from throttle to healed": its share of the requests answered.</summary>
    Share,
}
