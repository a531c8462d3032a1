using System.Runtime.InteropServices;

namespace RoundRobinLab.Proxy.Hosting;

/// <summary>
/// Every client and every backend connection is a file descriptor. Many systems start processes
/// with a soft limit of 1024 and a far higher hard one; CoreCLR raises the soft limit itself, but
/// a Native AOT binary does not, so the proxy does what nginx's worker_rlimit_nofile does: it
/// raises the soft limit to the hard one at start.
/// </summary>
internal static partial class FileDescriptorLimit
{
    private const int RlimitNofile = 7; // Linux

    /// <summary>Raises the soft limit to the hard limit; returns the limit now in force, or null where it cannot be read.</summary>
    public static long? Raise()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        if (getrlimit(RlimitNofile, out var limit) != 0)
        {
            return null;
        }

        if (limit.Current < limit.Maximum)
        {
            var raised = limit with { Current = limit.Maximum };
            if (setrlimit(RlimitNofile, in raised) == 0)
            {
                return (long)raised.Current;
            }
        }

        return (long)Math.Min(limit.Current, long.MaxValue);
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct RLimit(ulong Current, ulong Maximum);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, out RLimit limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, in RLimit limit);
}
