using System.Globalization;

namespace RoundRobinLab.Lab.Cli;

internal static class Invariant
{
    /// <summary>An interpolated string with the invariant culture: figures read the same on every machine.</summary>
    public static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
