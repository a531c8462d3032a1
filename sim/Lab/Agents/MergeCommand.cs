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
        var fleet = new Option<string?>("--fleet") { Description = "The fleet's control API (e.g. http://lab-backends:5000): the backends' own counts, for thresholds such as mismatch==0." };
        var admin = new Option<string?>("--admin") { Description = "The proxy's admin API (e.g. http://rrproxy:9901): the proxy's own counts and rotation changes, from /stats." };
        var command = new Command("merge", "Merge agents' results: their latency histograms added (never percentiles averaged), counts summed, the scenario's thresholds evaluated once on the whole; one report. Exit 1 when a threshold fails.")
        {
            directories, reportDirectory, fleet, admin,
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
            var target = await TargetSide.CountsAsync(parse.GetValue(fleet), parse.GetValue(admin), interrupt);
            if (target is null)
            {
                Console.Error.WriteLine("lab merge: no --fleet or --admin: thresholds on the backends' or the proxy's own counts (mismatch, rotation changes) have no data.");
            }

            var merged = AgentMerge.Merge(scenario, agents, target);
            var directory = parse.GetValue(reportDirectory) ?? LabPaths.NewRunDirectory($"{name}-merged");
            return await ScenarioRun.WriteReportsAsync(merged, directory, interrupt) ? LabExit.Passed : LabExit.Failed;
        });
        return command;
    }
}
