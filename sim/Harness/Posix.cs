using System.Runtime.InteropServices;

namespace RoundRobinLab.Harness;

public enum Signal
{
    HangUp = 1,
    Interrupt = 2,
    Kill = 9,
    Terminate = 15,
}

/// <summary>The two libc calls the lab needs that .NET does not wrap.</summary>
public static partial class Posix
{
    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when it is gone.</summary>
    public static bool Send(int pid, Signal signal) => kill(pid, (int)signal) == 0;

    /// <summary>Clock ticks per second, the unit of utime and stime in /proc/PID/stat.</summary>
    public static long ClockTicksPerSecond { get; } = sysconf(ScClkTck) is > 0 and var ticks ? ticks : 100;

    private const int ScClkTck = 2;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    private static partial long sysconf(int name);
}
