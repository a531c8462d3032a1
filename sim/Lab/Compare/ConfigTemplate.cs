using System.Globalization;

namespace RoundRobinLab.Lab.Compare;

/// <summary>The nginx and HAProxy configurations in lab/compare, with @DIR@, @PORT1@, @PORT2@ and @PROXY@ filled in.</summary>
internal static class ConfigTemplate
{
    public static string Fill(string template, string directory, int backend1, int backend2, int proxy = 0) =>
        File.ReadAllText(template)
            .Replace("@DIR@", directory, StringComparison.Ordinal)
            .Replace("@PORT1@", backend1.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@PORT2@", backend2.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@PROXY@", proxy.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>Fills <paramref name="template"/> (a file of lab/compare) into <paramref name="directory"/>/<paramref name="name"/> and returns its path.</summary>
    public static string Write(string template, string directory, string name, int backend1, int backend2, int proxy = 0)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, Fill(Path.Combine(RoundRobinLab.Harness.LabPaths.RepositoryRoot, "lab", "compare", template), directory, backend1, backend2, proxy));
        return path;
    }
}
