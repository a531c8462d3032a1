using System.Collections.Concurrent;
using System.Diagnostics;

namespace RoundRobinLab.Harness;

/// <summary>
/// The published proxy as a child process, for the tests and the lab alike. It is ready when its
/// admin /healthz answers (the proxy opens its proxied listeners before its admin one), never by
/// its log text; its output is kept line by line (and in a file when asked); disposing stops it
/// with SIGTERM and kills it if it does not exit in time, so no run leaves it behind.
/// </summary>
public sealed class ProxyProcess : IAsyncDisposable
{
    private static readonly HttpClient s_probe = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero })
    {
        Timeout = TimeSpan.FromSeconds(1),
    };

    private readonly Process _process;
    private readonly StreamWriter? _log;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProxyProcess(string fileName, IEnumerable<string> args, string? logFile)
    {
        _log = logFile is null ? null : new StreamWriter(logFile) { AutoFlush = true };
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(Output, e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(Errors, e.Data);
        _process.Exited += (_, _) => _exited.TrySetResult();
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Standard output, line by line.</summary>
    public ConcurrentQueue<string> Output { get; } = new();

    /// <summary>Standard error, line by line.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The first proxied listener.</summary>
    public Uri ProxyAddress => ProxyAddresses[0];

    /// <summary>Every proxied listener, in the order of <see cref="ProxyStart.Schemes"/>.</summary>
    public IReadOnlyList<Uri> ProxyAddresses { get; private set; } = [];

    public Uri AdminAddress { get; private set; } = null!;

    /// <summary>Launches the proxy with exactly <paramref name="args"/> and does not wait for anything (for runs that should exit).</summary>
    public static ProxyProcess Run(string binary, params string[] args) => new(RequireFile(binary), args, logFile: null);

    /// <summary>Launches the proxy and returns once its admin /healthz answers.</summary>
    public static async Task<ProxyProcess> StartAsync(ProxyStart start, CancellationToken cancellationToken = default)
    {
        RequireFile(start.Binary);
        var listeners = start.Schemes.Select((scheme, i) => new Uri($"{scheme}://127.0.0.1:{(i == 0 && start.ProxyPort > 0 ? start.ProxyPort : FreePort.Next())}")).ToArray();
        var admin = new Uri($"http://127.0.0.1:{(start.AdminPort > 0 ? start.AdminPort : FreePort.Next())}");
        string[] args = ["--urls", string.Join(",", listeners.Select(u => u.ToString().TrimEnd('/'))), "--admin-urls", admin.ToString().TrimEnd('/'), .. start.Arguments];
        var process = start.DescriptorLimits is { } limits
            ? new ProxyProcess("/bin/bash", ["-c", $"ulimit -Sn {limits.Soft} && ulimit -Hn {limits.Hard} && exec \"$0\" \"$@\"", start.Binary, .. args], start.LogFile)
            : new ProxyProcess(start.Binary, args, start.LogFile);
        process.ProxyAddresses = listeners;
        process.AdminAddress = admin;
        try
        {
            await process.WaitUntilReadyAsync(start.LogFile, cancellationToken);
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>Sends a signal: <see cref="Signal.HangUp"/> reloads, <see cref="Signal.Terminate"/> stops gracefully.</summary>
    public void Send(Signal signal)
    {
        if (!Posix.Send(_process.Id, signal))
        {
            throw new InvalidOperationException($"could not send {signal} to the proxy (pid {_process.Id}): it has exited.");
        }
    }

    /// <summary>The process's peak resident set size so far (VmHWM).</summary>
    public long PeakResidentBytes() => (long)(ProcFs.ResidentMiB(_process.Id, peak: true) * 1024 * 1024);

    public IReadOnlyList<string> ThreadNames() => ProcFs.ThreadNames(_process.Id);

    public async ValueTask DisposeAsync()
    {
        await GracefulStop.StopAsync(_process, LabDefaults.StopTimeout);
        _process.Dispose();
        if (_log is not null)
        {
            await _log.DisposeAsync();
        }
    }

    private async Task WaitUntilReadyAsync(string? logFile, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        var healthz = new Uri(AdminAddress, "/healthz");
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(CancellationToken.None);
                var reason = Errors.LastOrDefault() ?? Output.LastOrDefault() ?? "no output";
                throw new InvalidOperationException($"the proxy exited with code {_process.ExitCode} before it was ready: {reason}{(logFile is null ? "" : $" (log: {logFile})")}");
            }

            try
            {
                // Any answer will do: 503 only says that no backend is in rotation yet.
                using var response = await s_probe.GetAsync(healthz, cancellationToken);
                return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Listening but not answering within a second yet.
            }

            if (deadline.Elapsed > LabDefaults.ReadyTimeout)
            {
                throw new TimeoutException($"the proxy did not answer {healthz} within {LabDefaults.ReadyTimeout.TotalSeconds:0} s{(logFile is null ? "" : $"; see {logFile}")}.");
            }

            // Polling is the signal here: nothing else says when a listener is up. The exit of the
            // process ends the wait at once.
            await Task.WhenAny(_exited.Task, Task.Delay(10, cancellationToken));
        }
    }

    private void OnLine(ConcurrentQueue<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lines.Enqueue(line);
        if (_log is not null)
        {
            lock (_log)
            {
                _log.WriteLine(line);
            }
        }
    }

    private static string RequireFile(string binary) =>
        File.Exists(binary) ? binary : throw new FileNotFoundException($"no proxy binary at {binary}; run ./run-lab.sh publish, or pass --proxy PATH.");
}
