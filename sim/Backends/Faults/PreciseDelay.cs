using System.Diagnostics;

namespace RoundRobinLab.Backends.Faults;

/// <summary>
/// Waits that last at least what they say. Timers tick in whole milliseconds from a coarse clock
/// and can fire a little early; a toxic promises "at least", so the wait is checked against the
/// Stopwatch and topped up.
/// </summary>
internal static class PreciseDelay
{
    /// <summary>Until the Stopwatch reads <paramref name="due"/> (a <see cref="Stopwatch.GetTimestamp"/> value).</summary>
    public static async Task UntilAsync(long due, CancellationToken cancellationToken)
    {
        TimeSpan left;
        while ((left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due)) > TimeSpan.Zero)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds)), cancellationToken);
        }
    }

    public static Task ForAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        delay <= TimeSpan.Zero ? Task.CompletedTask : UntilAsync(Stopwatch.GetTimestamp() + Due(delay), cancellationToken);

    /// <summary>A span in Stopwatch ticks.</summary>
    public static long Due(TimeSpan delay) => (long)(delay.TotalSeconds * Stopwatch.Frequency);
}
