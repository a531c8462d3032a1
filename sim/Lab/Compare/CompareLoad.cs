namespace RoundRobinLab.Lab.Compare;

/// <summary>One load of compare: how many connections ask for which path, over HTTP or HTTPS.</summary>
internal sealed record CompareLoad(string Name, int Connections, string Path, bool Https)
{
    /// <summary>Small answers at two concurrencies, 1 MiB answers, and TLS termination (rrproxy and nginx only).</summary>
    public static IReadOnlyList<CompareLoad> All { get; } =
    [
        new("small-c50", 50, "/", Https: false),
        new("small-c256", 256, "/", Https: false),
        new("1mib-c50", 50, "/1m", Https: false),
        new("https-c50", 50, "/", Https: true),
    ];
}

/// <summary>One wrk run against one proxy, with the proxy's CPU time and memory over it.</summary>
internal sealed record CompareRound(string Load, int Threads, int Round, string Proxy, WrkResult Wrk, double CpuSeconds, double ResidentMiB)
{
    /// <summary>The load and the wrk threads: compare reports both ways of sharing the two cores.</summary>
    public string Group => $"{Load}/t{Threads}";

    /// <summary>The proxy's utime+stime (its workers' too) over the requests wrk completed.</summary>
    public double CpuMicrosPerRequest => Wrk.Requests > 0 ? CpuSeconds * 1e6 / Wrk.Requests : 0;
}
