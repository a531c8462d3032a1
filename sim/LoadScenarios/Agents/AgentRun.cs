using System.Text.Json;
using RoundRobinLab.Scenarios.Histograms;
using RoundRobinLab.Scenarios.Reports;

namespace RoundRobinLab.Scenarios.Agents;

/// <summary>What one agent left in its report directory: its report.json and its latency.hlog.</summary>
public sealed record AgentRun(string Directory, ReportModel Report, IReadOnlyList<HlogInterval> Intervals)
{
    public static AgentRun Load(string directory)
    {
        var report = Path.Combine(directory, "report.json");
        var log = Path.Combine(directory, "latency.hlog");
        if (!File.Exists(report) || !File.Exists(log))
        {
            throw new FileNotFoundException($"{directory}: an agent's results are report.json and latency.hlog; {(File.Exists(report) ? "latency.hlog" : "report.json")} is missing.");
        }

        ReportModel model;
        try
        {
            model = JsonSerializer.Deserialize(File.ReadAllText(report), ReportJsonContext.Default.ReportModel)
                ?? throw new FormatException($"{report} is empty.");
        }
        catch (JsonException e)
        {
            throw new FormatException($"{report}: {e.Message}", e);
        }

        return new AgentRun(directory, model, HlogReader.Read(log));
    }
}
