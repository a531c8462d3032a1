using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Backends.Control;
using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Backends.Profiles;
using RoundRobinLab.Harness;
using RoundRobinLab.Lab.Cli;

namespace RoundRobinLab.Lab.Backends;

/// <summary>`lab backends`: the fake-backend fleet in the foreground; `lab backends ctl`: change a running one.</summary>
internal static class BackendsCommand
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static Command Create(CancellationToken interrupt)
    {
        var count = LabOptions.Positive("--count", 3, "How many backends: b1..bN.");
        var basePort = LabOptions.BackendBasePort();
        basePort.Aliases.Add("--base-port");
        var mode = new Option<string>("--mode") { Description = "wiremock (request log, profiles, admin API) or lean (a minimal Kestrel answer, for load).", DefaultValueFactory = _ => "wiremock" };
        mode.AcceptOnlyFromAmong("wiremock", "lean");
        var profile = new Option<FileInfo?>("--profile") { Description = "A profile file: latency, errors, faults, streaming, large bodies per backend (sim/Backends/README.md)." };
        var controlPort = new Option<int?>("--control-port") { Description = "The control API's port (default: the base port - 1)." };
        var listenAny = new Option<bool>("--listen-any") { Description = "Listen on every interface, not only 127.0.0.1: for a fleet in a container reached through a Service (deploy/kubernetes). Never needed on one machine." };
        var faults = new Option<bool>("--faults") { Description = $"A TCP relay in front of each backend ({FleetOptions.RelayPortOffset} ports above it) for network faults (toxics: latency, bandwidth, slow-close, timeout, reset-peer, slicer, limit-data); point the proxy at the relays." };
        var command = new Command("backends", "Start the fake-backend fleet on loopback and serve until Ctrl-C. Every backend answers any method and path with an X-Backend-Id header; in wiremock mode the body is JSON (id, method, path, headers, body length and SHA-256) and WireMock's admin API is at /__admin.")
        {
            count, basePort, mode, profile, controlPort, faults, listenAny, Control(),
        };
        command.SetAction(async parse =>
        {
            var options = new FleetOptions
            {
                Count = parse.GetValue(count),
                BasePort = parse.GetValue(basePort),
                Mode = parse.GetValue(mode) == "lean" ? BackendMode.Lean : BackendMode.WireMock,
                Profiles = parse.GetValue(profile) is { } file ? ProfileFile.Load(file.FullName) : new ProfileFile(),
                NetworkFaults = parse.GetValue(faults),
                ListenOnAllInterfaces = parse.GetValue(listenAny),
            };
            var control = parse.GetValue(controlPort) ?? new LabPorts(BackendBasePort: options.BasePort).ControlPort;
            if (options.NetworkFaults && Environment.GetEnvironmentVariable(InlineCompletions) is null)
            {
                // The relays copy every byte over loopback twice more; running socket completions
                // inline on the I/O threads, instead of hopping to the thread pool, cuts what that
                // costs. The proxy to 2 lean backends through their relays, wrk -t2 -c50: 0.64x the
                // requests/s of going straight without it, 0.85x with it (sim/Backends/README.md,
                // "Network faults", "Cost"). A relay pump never blocks, and Kestrel still runs
                // requests on the pool. Read once, before this process's first socket; an
                // operator's own setting wins.
                Environment.SetEnvironmentVariable(InlineCompletions, "1");
            }

            try
            {
                await ServeAsync(options, control, interrupt);
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"lab: cannot listen: {e.Message} Choose other ports with --backend-base-port / --control-port.");
                return LabExit.Usage;
            }

            return LabExit.Passed;
        });
        return command;
    }

    private static async Task ServeAsync(FleetOptions options, int controlPort, CancellationToken interrupt)
    {
        await using var fleet = await BackendFleet.StartAsync(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.ListenOnAllInterfaces ? System.Net.IPAddress.Any : System.Net.IPAddress.Loopback, controlPort));
        await using var control = builder.Build();
        control.MapFleetControl(fleet);
        await control.StartAsync(interrupt);
        foreach (var backend in fleet.Backends)
        {
            Console.WriteLine($"{backend.Id}  {backend.Url.ToString().TrimEnd('/'),-24} {(backend.IsUp ? "up" : "down"),-5} {backend.Mode}"
                + (backend.Mode == BackendMode.WireMock ? $"  admin {backend.Url}__admin" : "")
                + (backend.RelayUrl is { } relay ? $"  relay {relay.ToString().TrimEnd('/')}" : ""));
        }

        if (options.NetworkFaults)
        {
            Console.WriteLine($"proxy --backends {string.Join(",", fleet.ProxyUrls.Select(u => u.ToString().TrimEnd('/')))}  (through the relays; lab backends ctl toxic ID add JSON)");
        }

        Console.WriteLine($"control  {control.Urls.First()}  (lab backends ctl --help); Ctrl-C stops the fleet");
        try
        {
            await Task.Delay(Timeout.Infinite, interrupt);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C or SIGTERM: the fleet's whole purpose was to run until then.
        }

        Console.WriteLine("received: " + string.Join(", ", fleet.Backends.Select(b => $"{b.Id}={b.Received}")));
    }

    private static Command Control()
    {
        var url = new Option<string>("--control") { Description = "The fleet's control API.", DefaultValueFactory = _ => $"http://127.0.0.1:{new LabPorts().ControlPort}" };
        var words = new Argument<string[]>("command") { Description = ControlClient.Usage, Arity = ArgumentArity.OneOrMore };
        var command = new Command("ctl", $"Change a running fleet: {ControlClient.Usage}. Toxics need a fleet started with --faults; a toxic is Toxiproxy's JSON, e.g. '{{\"type\":\"latency\",\"attributes\":{{\"latency\":100}}}}'.") { words, url };
        command.SetAction(parse => ControlClient.RunAsync(parse.GetValue(words)!, parse.GetValue(url)!));
        return command;
    }
}
