using System.Globalization;
using RoundRobinLab.Scenarios.Engine;

namespace RoundRobinLab.Scenarios.Reports;

/// <summary>The live view while a scenario runs, and the summary after it.</summary>
public sealed class ConsoleReport : IProgress<Progress>
{
    private readonly bool _interactive = !Console.IsOutputRedirected;
    private TimeSpan _lastPrinted = TimeSpan.FromDays(-1);

    public void Report(Progress value)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"[{value.Elapsed.TotalSeconds,5:0}s / {value.Total.TotalSeconds:0}s] {(value.WarmingUp ? "warm-up  " : "measuring")}  {Bar(value.Elapsed / value.Total)}  {value.CurrentRate,7:0} req/s  completed {value.Completed,8}  errors {value.Errors,6}  in flight {value.InFlight,5}");
        if (_interactive)
        {
            Console.Write("\r" + line);
        }
        else if (value.Elapsed - _lastPrinted >= TimeSpan.FromSeconds(5))
        {
            // In a log (CI), one line every five seconds instead of a redrawn one.
            Console.WriteLine(line);
            _lastPrinted = value.Elapsed;
        }
    }

    public void Finish()
    {
        if (_interactive)
        {
            Console.WriteLine();
        }
    }

    public static void Summary(ReportModel report, string directory)
    {
        Console.WriteLine();
        Console.WriteLine(MarkdownReport.Render(report).Replace("**FAIL**", "FAIL", StringComparison.Ordinal));
        // A run against --target, an agent or a merge has no proxy of its own, hence no log.
        Console.WriteLine($"Reports: {Path.Combine(directory, "report.html")} (charts), report.md, report.json"
            + (File.Exists(Path.Combine(directory, "latency.hlog")) ? ", latency.hlog" : "")
            + (File.Exists(Path.Combine(directory, "proxy.log")) ? "; proxy log: proxy.log" : ""));
    }

    private static string Bar(double fraction)
    {
        const int Width = 20;
        var filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * Width);
        return "[" + new string('#', filled) + new string('.', Width - filled) + "]";
    }
}
