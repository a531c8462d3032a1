namespace RoundRobinLab.Harness;

/// <summary>
/// The lab's defaults, in one place: the well-known ports of an experiment (so that a person can
/// curl the proxy while it runs) and the lengths of the measurements. Everything that needs no
/// well-known port (compare, calibrate, startup, the tests) takes free ones instead.
/// </summary>
public static class LabDefaults
{
    public const int ProxyPort = 8080;

    public const int AdminPort = 9901;

    /// <summary>b1 listens here, b2 on the next port, and so on; the fleet's control API one below.</summary>
    public const int BackendBasePort = 5001;

    /// <summary>The default experiment: the steady scenario for this long.</summary>
    public const int ExperimentSeconds = 20;

    public const int StartupRounds = 15;

    public const int CompareRounds = 3;

    public const int CompareSecondsPerRound = 10;

    public const int CalibrateRounds = 3;

    public const int CalibrateSecondsPerRound = 10;

    /// <summary>How long a proxy may take to answer its admin /healthz after launch.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How long a proxy may take to stop after SIGTERM before it is killed.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
}
