using System.CommandLine;
using RoundRobinLab.Harness;
using RoundRobinLab.Lab.Cli;
using RoundRobinLab.Lab.Scenarios;
using RoundRobinLab.Scenarios.Agents;
using RoundRobinLab.Scenarios.Scenarios;

namespace RoundRobinLab.Lab.Agents;

/// <summary>`lab merge DIR...`: the results of agents run apart (other machines, an Indexed Job) as one run, judged once.</summary>
internal static class MergeCommand
{
    public static Command Create(CancellationToken interrupt)
    {
        var directories = new Argument<string[]>("directories") { Description = "The agents' report directories (each with report.json and latency.hlog).", Arity = ArgumentArity.OneOrMore };
        var reportDirectory = new Option<string?>("--report-dir") { Description = "Where the merged reports go (default results/<time>-<scenario>-merged)." };
        var command = new Command("merge", "Merge agents' results: their latency histograms added (never percentiles averaged), counts summed, the scenario's thresholds evaluated once on the whole; one report. Exit 1 when a threshold fails.")
        {
            directories, reportDirectory,
        };
        command.SetAction(async parse =>
        {
            var agents = parse.GetValue(directories)!.Select(AgentRun.Load).ToList();
            var name = agents[0].Report.Scenario;
            if (agents.Any(a => a.Report.Scenario != name))
            {
                throw new ArgumentException($"the directories hold runs of different scenarios: {string.Join(", ", agents.Select(a => a.Report.Scenario).Distinct())}.");
            }

            var scenario = Catalogue.Find(name) ?? throw new ArgumentException($"the agents ran '{name}', which is not in the catalogue.");
            var merged = AgentMerge.Merge(scenario, agents);
            var directory = parse.GetValue(reportDirectory) ?? LabPaths.NewRunDirectory($"{name}-merged");
            return await ScenarioRun.WriteReportsAsync(merged, directory, interrupt) ? LabExit.Passed : LabExit.Failed;
        });
        return command;
    }
}
