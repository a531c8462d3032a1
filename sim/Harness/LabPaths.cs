using System.Globalization;

namespace RoundRobinLab.Harness;

/// <summary>Where the lab's inputs and outputs are: the repository, the published proxy, the results.</summary>
public static class LabPaths
{
    /// <summary>The directory holding Lab.sln, from the working directory up; the working directory when there is none.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The published proxy: $LAB_PROXY_BINARY, else artifacts/proxy/rrproxy.</summary>
    public static string ProxyBinary =>
        Environment.GetEnvironmentVariable("LAB_PROXY_BINARY") is { Length: > 0 } path ? path : Path.Combine(RepositoryRoot, "artifacts", "proxy", "rrproxy");

    /// <summary>Where runs write their reports: $RESULTS_DIR, else results/.</summary>
    public static string Results =>
        Environment.GetEnvironmentVariable("RESULTS_DIR") is { Length: > 0 } path ? Path.GetFullPath(path) : Path.Combine(RepositoryRoot, "results");

    /// <summary>results/&lt;yyyyMMdd-HHmmss&gt;-<paramref name="name"/>, created.</summary>
    public static string NewRunDirectory(string name) =>
        Directory.CreateDirectory(Path.Combine(Results, $"{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{name}")).FullName;

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Lab.sln")))
            {
                return directory.FullName;
            }
        }

        return Environment.CurrentDirectory;
    }
}
