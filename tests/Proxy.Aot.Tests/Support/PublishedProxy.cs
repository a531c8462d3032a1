using RoundRobinLab.Harness;

namespace RoundRobinLab.Proxy.Tests.Support;

/// <summary>
/// The published native binary under test (LAB_PROXY_BINARY, set by ./run-lab.sh test after
/// publishing), started through the lab's harness: free loopback ports, ready when its admin
/// /healthz answers, stopped after the test.
/// </summary>
internal static class PublishedProxy
{
    public static string? Binary => Environment.GetEnvironmentVariable("LAB_PROXY_BINARY") is { Length: > 0 } path && File.Exists(path) ? path : null;

    /// <summary>Skips a smoke test (reported as skipped, never as passed) when there is no binary to test.</summary>
    public static void Require() =>
        Skip.If(Binary is null, "LAB_PROXY_BINARY is not set; ./run-lab.sh test publishes the binary and runs these.");

    /// <summary>Launches the binary with exactly <paramref name="args"/>, for runs that should exit.</summary>
    public static ProxyProcess Run(params string[] args) => ProxyProcess.Run(Binary!, args);

    /// <summary>Starts the binary in front of <paramref name="backends"/>.</summary>
    public static Task<ProxyProcess> StartAsync(IEnumerable<Uri> backends, params string[] extra) =>
        StartAsync(backends, descriptorLimits: null, extra);

    /// <summary>As <see cref="StartAsync(IEnumerable{Uri}, string[])"/>, under the file-descriptor limits given (soft, hard).</summary>
    public static Task<ProxyProcess> StartAsync(IEnumerable<Uri> backends, (int Soft, int Hard)? descriptorLimits, params string[] extra) =>
        ProxyProcess.StartAsync(new ProxyStart
        {
            Binary = Binary!,
            Arguments = ["--backends", string.Join(",", backends), .. extra],
            DescriptorLimits = descriptorLimits,
        });
}
