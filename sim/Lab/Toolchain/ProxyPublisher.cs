using System.Security.Cryptography;
using System.Text;
using RoundRobinLab.Harness;
using RoundRobinLab.Lab.Processes;

namespace RoundRobinLab.Lab.Toolchain;

/// <summary>What a Native AOT publish of the proxy gave: the binary, or why there is none.</summary>
internal sealed record PublishOutcome(bool Succeeded, string Message);

/// <summary>
/// The proxy published with Native AOT to artifacts/proxy/rrproxy, again only when its sources
/// changed (a hash of them is kept beside the binary). Zero trim/AOT warnings is the standard: a
/// publish that prints any fails.
/// </summary>
internal static class ProxyPublisher
{
    private static readonly string[] s_buildSettings = ["Directory.Build.props", "Directory.Packages.props", "global.json"];

    private static string OutputDirectory => Path.Combine(LabPaths.RepositoryRoot, "artifacts", "proxy");

    private static string HashFile => Path.Combine(OutputDirectory, ".source-hash");

    /// <summary>The binary to run: the one given, else $LAB_PROXY_BINARY, else the published one (published now when stale).</summary>
    public static async Task<string> ResolveAsync(string? explicitPath, CancellationToken cancellationToken)
    {
        if (explicitPath is not null || Environment.GetEnvironmentVariable("LAB_PROXY_BINARY") is { Length: > 0 })
        {
            var path = explicitPath ?? LabPaths.ProxyBinary;
            return File.Exists(path) ? Path.GetFullPath(path) : throw new FileNotFoundException($"no proxy binary at {path}.");
        }

        var outcome = await PublishAsync(cancellationToken);
        return outcome.Succeeded ? LabPaths.ProxyBinary : throw new InvalidOperationException(outcome.Message);
    }

    public static async Task<PublishOutcome> PublishAsync(CancellationToken cancellationToken)
    {
        var hash = SourceHash();
        var binary = Path.Combine(OutputDirectory, "rrproxy");
        if (File.Exists(binary) && File.Exists(HashFile) && await File.ReadAllTextAsync(HashFile, cancellationToken) == hash)
        {
            Console.Error.WriteLine($"==> Native AOT proxy is up to date ({binary})");
            return new PublishOutcome(true, binary);
        }

        Console.Error.WriteLine("==> Publishing the proxy with Native AOT");
        var artifacts = Directory.CreateDirectory(Path.Combine(LabPaths.RepositoryRoot, "artifacts")).FullName;
        var log = Path.Combine(artifacts, "publish.log");
        var warningsLog = Path.Combine(artifacts, "publish-warnings.log");
        if (Directory.Exists(OutputDirectory))
        {
            Directory.Delete(OutputDirectory, recursive: true);
        }

        // MSBuild's own warnings-only file logger: the warnings come from MSBuild as data, not from
        // reading the console output.
        var (exitCode, output) = await ExternalProcess.RunAsync("dotnet",
            ["publish", Path.Combine(LabPaths.RepositoryRoot, "src", "Proxy.Aot"), "-c", "Release", "-r", "linux-x64", "-o", OutputDirectory,
             $"-flp:LogFile={warningsLog};WarningsOnly;NoSummary;Verbosity=minimal"],
            cancellationToken, logFile: log);
        if (exitCode != 0)
        {
            var tail = string.Join(Environment.NewLine, output.Split('\n').TakeLast(30));
            return new PublishOutcome(false, $"{tail}{Environment.NewLine}the Native AOT publish failed; the whole log is in {log}");
        }

        var warnings = (await File.ReadAllLinesAsync(warningsLog, cancellationToken)).Where(l => l.Length > 0).Distinct().ToArray();
        if (warnings.Length > 0)
        {
            return new PublishOutcome(false, $"{string.Join(Environment.NewLine, warnings)}{Environment.NewLine}the Native AOT publish printed {warnings.Length} warning(s); the standard is zero.");
        }

        await File.WriteAllTextAsync(HashFile, hash, cancellationToken);
        Console.Error.WriteLine($"==> Published {binary} ({new FileInfo(binary).Length / 1e6:0.0} MB)");
        return new PublishOutcome(true, binary);
    }

    /// <summary>A hash of everything the binary is built from: the proxy's sources and the build settings they share.</summary>
    private static string SourceHash()
    {
        var root = LabPaths.RepositoryRoot;
        var source = Path.Combine(root, "src", "Proxy.Aot");
        var files = Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetExtension(f) is ".cs" or ".csproj" or ".json")
            .Where(f => !Path.GetRelativePath(source, f).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .Concat(s_buildSettings.Select(f => Path.Combine(root, f)).Where(File.Exists));
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in files)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(root, file) + "\n"));
            hash.AppendData(File.ReadAllBytes(file));
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
