using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace RoundRobinLab.Proxy.Tests.Support;

/// <summary>
/// The published native binary as a child process: its output collected line by line, its
/// addresses read from its startup line, and never left running after a test.
/// </summary>
internal sealed partial class ProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<Match> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProxyProcess(string binary, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(Output, e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(Errors, e.Data);
        _process.Exited += (_, _) => _started.TrySetException(new InvalidOperationException($"rrproxy exited with {_process.ExitCode}: {string.Join(" / ", Errors)}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The binary under test, from LAB_PROXY_BINARY (set by ./run-lab.sh test after publishing).</summary>
    public static string? Binary => Environment.GetEnvironmentVariable("LAB_PROXY_BINARY") is { Length: > 0 } path && File.Exists(path) ? path : null;

    /// <summary>Skips a smoke test (reported as skipped, never as passed) when there is no binary to test.</summary>
    public static void RequireBinary() =>
        Skip.If(Binary is null, "LAB_PROXY_BINARY is not set; ./run-lab.sh test publishes the binary and runs these.");

    public ConcurrentQueue<string> Output { get; } = new();

    public ConcurrentQueue<string> Errors { get; } = new();

    public Uri ProxyAddress { get; private set; } = null!;

    public Uri AdminAddress { get; private set; } = null!;

    public static ProxyProcess Run(params string[] args) => new(Binary!, args);

    /// <summary>Starts the binary on free loopback ports and waits for its startup line.</summary>
    public static Task<ProxyProcess> StartAsync(IEnumerable<Uri> backends, params string[] extra) =>
        StartAsync(backends, descriptorLimits: null, extra);

    /// <summary>
    /// As <see cref="StartAsync(IEnumerable{Uri}, string[])"/>, under the file-descriptor limits
    /// given (soft, hard), set by a shell that then execs the binary in its place.
    /// </summary>
    public static async Task<ProxyProcess> StartAsync(IEnumerable<Uri> backends, (int Soft, int Hard)? descriptorLimits, params string[] extra)
    {
        string[] args = ["--backends", string.Join(",", backends), "--urls", "http://127.0.0.1:0", "--admin-urls", "http://127.0.0.1:0", .. extra];
        var process = descriptorLimits is { } limits
            ? new ProxyProcess("/bin/bash", ["-c", $"ulimit -Sn {limits.Soft} && ulimit -Hn {limits.Hard} && exec \"$0\" \"$@\"", Binary!, .. args])
            : new ProxyProcess(Binary!, args);
        return await StartedAsync(process);
    }

    /// <summary>Starts <paramref name="binary"/> (a copy of the one under test, say) with exactly <paramref name="args"/>.</summary>
    public static Task<ProxyProcess> StartAsync(string binary, params string[] args) => StartedAsync(new ProxyProcess(binary, args));

    private static async Task<ProxyProcess> StartedAsync(ProxyProcess process)
    {
        var started = await process._started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        process.ProxyAddress = new Uri(started.Groups["urls"].Value);
        process.AdminAddress = new Uri(started.Groups["admin"].Value);
        return process;
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>The process's peak resident set size so far (VmHWM), from /proc.</summary>
    public long PeakResidentBytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>The names of the process's threads (/proc/PID/task/*/comm).</summary>
    public IReadOnlyList<string> ThreadNames() =>
        [.. Directory.EnumerateDirectories($"/proc/{_process.Id}/task").Select(task => File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'))];

    /// <summary>SIGHUP: reload the backends.</summary>
    public void HangUp()
    {
        const int SigHup = 1;
        kill(_process.Id, SigHup).ShouldBe(0);
    }

    public bool HasExited => _process.HasExited;

    public void Terminate()
    {
        const int SigTerm = 15;
        kill(_process.Id, SigTerm).ShouldBe(0);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private void OnLine(ConcurrentQueue<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lines.Enqueue(line);
        if (StartupLine().Match(line) is { Success: true } match)
        {
            _started.TrySetResult(match);
        }
    }

    [GeneratedRegex(@"rrproxy listening on (?<urls>https?://[^\s,]+)\S* \(admin (?<admin>http://\S+?)\)")]
    private static partial Regex StartupLine();

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
