using System.CommandLine;
using RoundRobinLab.Lab.Cli;

namespace RoundRobinLab.Lab.Toolchain;

internal static class PublishCommand
{
    public static Command Create(CancellationToken interrupt)
    {
        var command = new Command("publish", "Native AOT publish of the proxy to artifacts/proxy/rrproxy (reused while its sources are unchanged); fails on any warning.");
        command.SetAction(async _ =>
        {
            var outcome = await ProxyPublisher.PublishAsync(interrupt);
            if (!outcome.Succeeded)
            {
                Console.Error.WriteLine(outcome.Message);
            }

            return outcome.Succeeded ? LabExit.Passed : LabExit.Failed;
        });
        return command;
    }
}
