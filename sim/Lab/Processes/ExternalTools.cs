namespace RoundRobinLab.Lab.Processes;

/// <summary>Finds the programs the lab drives (./run-lab.sh installs them where apt-get can).</summary>
internal static class ExternalTools
{
    // nginx and HAProxy live in /usr/sbin, which a non-root PATH often lacks.
    private static readonly string[] s_extraDirectories = ["/usr/sbin", "/sbin", "/usr/local/sbin"];

    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(s_extraDirectories)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    public static string Require(string name, string package) =>
        Find(name) ?? throw new ToolMissingException($"{name} is missing: run 'sudo apt-get install {package}' (./run-lab.sh installs it when it runs as root).");
}
