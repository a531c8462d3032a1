using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace RoundRobinLab.Scenarios.Lab;

/// <summary>
/// The native proxy binary as a child process. Its output goes to a log file; it is stopped with
/// SIGTERM (and killed if it does not exit), so no run leaves it behind.
/// </summary>
public sealed partial class ProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource<Match> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProxyProcess(string binary, IEnumerable<string> args, string logFile)
    {
        _log = new StreamWriter(logFile) { AutoFlush = true };
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) => _started.TrySetException(new InvalidOperationException($"the proxy exited with code {_process.ExitCode} before it was ready; see {logFile}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public Uri ProxyAddress { get; private set; } = null!;

    public Uri AdminAddress { get; private set; } = null!;

    public static async Task<ProxyProcess> StartAsync(string binary, IEnumerable<string> args, string logFile)
    {
        if (!File.Exists(binary))
        {
            throw new FileNotFoundException($"no proxy binary at {binary}; run ./run-lab.sh publish, or pass --proxy PATH.");
        }

        var process = new ProxyProcess(binary, args, logFile);
        try
        {
            var started = await process._started.Task.WaitAsync(TimeSpan.FromSeconds(20));
            process.ProxyAddress = new Uri(started.Groups["urls"].Value.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
            process.AdminAddress = new Uri(started.Groups["admin"].Value);
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            const int SigTerm = 15;
            _ = kill(_process.Id, SigTerm);
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        await _log.DisposeAsync();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.WriteLine(line);
        }

        if (StartupLine().Match(line) is { Success: true } match)
        {
            _started.TrySetResult(match);
        }
    }

    [GeneratedRegex(@"rrproxy listening on (?<urls>https?://[^\s,]+?)[,]? .*?\(admin (?<admin>http://[^\s,)]+)")]
    private static partial Regex StartupLine();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
