using System.Diagnostics;
using System.Text;
using RoundRobinLab.Harness;

namespace RoundRobinLab.Lab.Processes;

/// <summary>
/// A program the lab runs (nginx, HAProxy, wrk, dotnet, the fleet): its output kept (and written to
/// a log file, or echoed, when asked), stopped with SIGTERM and killed if it lingers, so no run
/// leaves one behind.
/// </summary>
internal sealed class ExternalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StreamWriter? _log;
    private readonly bool _echo;

    private ExternalProcess(string fileName, IEnumerable<string> args, string? logFile, bool echo, IReadOnlyDictionary<string, string>? environment)
    {
        _echo = echo;
        _log = logFile is null ? null : new StreamWriter(logFile) { AutoFlush = true };
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        try
        {
            _process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ToolMissingException($"cannot run {fileName}: {e.Message}");
        }

        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    /// <summary>Standard output and error so far, in the order they came.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static ExternalProcess Start(string fileName, IEnumerable<string> args, string? logFile = null, bool echo = false, IReadOnlyDictionary<string, string>? environment = null) =>
        new(fileName, args, logFile, echo, environment);

    /// <summary>Runs a program to its end and returns its exit code and output; cancelling stops it.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> args, CancellationToken cancellationToken,
        string? logFile = null, bool echo = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        await using var process = Start(fileName, args, logFile, echo, environment);
        var exitCode = await process.WaitAsync(cancellationToken);
        return (exitCode, process.Output);
    }

    /// <summary>Waits for the program to exit; cancelling stops it (and throws).</summary>
    public async Task<int> WaitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await GracefulStop.StopAsync(_process, LabDefaults.StopTimeout);
        _process.Dispose();
        if (_log is not null)
        {
            await _log.DisposeAsync();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            _log?.WriteLine(line);
            if (_echo)
            {
                Console.WriteLine(line);
            }
        }
    }
}
