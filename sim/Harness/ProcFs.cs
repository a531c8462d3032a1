using System.Globalization;

namespace RoundRobinLab.Harness;

/// <summary>
/// A process's CPU time and memory from /proc, with its children (nginx's and HAProxy's workers
/// answer the requests, not their masters).
/// </summary>
public static class ProcFs
{
    /// <summary>User plus system CPU seconds used so far by <paramref name="pid"/> and its children.</summary>
    public static double CpuSeconds(int pid)
    {
        long ticks = 0;
        foreach (var id in WithChildren(pid))
        {
            if (Stat(id) is { } fields)
            {
                // Fields 14 and 15 of /proc/PID/stat: utime and stime, in clock ticks.
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
        }

        return ticks / (double)Posix.ClockTicksPerSecond;
    }

    /// <summary>Resident memory in MiB of <paramref name="pid"/> and its children: now (VmRSS) or at peak (VmHWM).</summary>
    public static double ResidentMiB(int pid, bool peak = false)
    {
        var field = peak ? "VmHWM:" : "VmRSS:";
        long kib = 0;
        foreach (var id in WithChildren(pid))
        {
            try
            {
                var line = File.ReadLines($"/proc/{id}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
                kib += line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The process ended between listing and reading.
            }
        }

        return kib / 1024.0;
    }

    /// <summary>The names of a process's threads (/proc/PID/task/*/comm); a thread that ends while they are read is left out.</summary>
    public static IReadOnlyList<string> ThreadNames(int pid)
    {
        var names = new List<string>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                names.Add(File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'));
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read (a test host's threads come and go).
            }
        }

        return names;
    }

    private static IEnumerable<int> WithChildren(int pid)
    {
        yield return pid;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id != pid
                && Stat(id) is { } fields && fields[1] == pid.ToString(CultureInfo.InvariantCulture))
            {
                yield return id;
            }
        }
    }

    /// <summary>The fields of /proc/PID/stat after the command name: [0] state, [1] ppid, ...; null when the process is gone.</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var line = File.ReadAllText($"/proc/{pid}/stat");
            return line[(line.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
