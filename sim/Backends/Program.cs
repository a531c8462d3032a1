using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Backends.Cli;
using RoundRobinLab.Backends.Control;
using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Backends.Profiles;

const string Help = """
    lab-backends - a fleet of fake backends on loopback for the round-robin lab

    Usage:
      lab-backends [--count N] [--base-port PORT] [--mode wiremock|lean] [--profile FILE] [--control-port PORT]
          Start N backends (b1..bN) on 127.0.0.1:PORT.. and serve until Ctrl-C / SIGTERM.
          Defaults: --count 3, --base-port 5001, --mode wiremock, --control-port BASE-PORT - 1.
      lab-backends ctl status|down ID|up ID|profile ID FILE [--control URL]
          Change a running fleet (default control URL http://127.0.0.1:5000).

    Every backend answers any method and path with an X-Backend-Id header; in wiremock mode the
    body is JSON (id, method, path, headers, body length and SHA-256), the request log is WireMock's,
    and WireMock's admin API is at /__admin. Profiles (latency, errors, faults, streaming, large
    bodies) are described in sim/Backends/README.md.
    """;

CliArguments cli;
try
{
    cli = CliArguments.Parse(args);
}
catch (ArgumentException e)
{
    return Fail($"{e.Message} See --help.");
}

if (cli.Help)
{
    Console.Write(Help);
    return 0;
}

var positional = cli.Positional;
try
{
    if (positional is ["ctl", .. var command])
    {
        return await ControlClient.RunAsync(command, cli.Value("--control") ?? "http://127.0.0.1:5000");
    }

    if (positional.Count > 0)
    {
        return Fail($"unknown command '{positional[0]}'; see --help.");
    }

    var fleetOptions = new FleetOptions
    {
        Count = Int(cli, "--count", 3),
        BasePort = Int(cli, "--base-port", 5001),
        Mode = (cli.Value("--mode") ?? "wiremock") switch
        {
            "wiremock" => BackendMode.WireMock,
            "lean" => BackendMode.Lean,
            var other => throw new ArgumentException($"--mode: '{other}' is not wiremock or lean."),
        },
        Profiles = cli.Value("--profile") is { } file ? ProfileFile.Load(file) : new ProfileFile(),
    };
    var controlPort = Int(cli, "--control-port", fleetOptions.BasePort - 1);

    await using var fleet = await BackendFleet.StartAsync(fleetOptions);
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, controlPort));
    await using var control = builder.Build();
    control.MapFleetControl(fleet);
    await control.StartAsync();

    foreach (var backend in fleet.Backends)
    {
        Console.WriteLine($"{backend.Id}  {backend.Url.ToString().TrimEnd('/'),-24} {(backend.IsUp ? "up" : "down"),-5} {backend.Mode}"
            + (backend.Mode == BackendMode.WireMock ? $"  admin {backend.Url}__admin" : ""));
    }

    Console.WriteLine($"control  {control.Urls.First()}  (lab-backends ctl --help); Ctrl-C stops the fleet");
    await control.WaitForShutdownAsync();
    Console.WriteLine("received: " + string.Join(", ", fleet.Backends.Select(b => $"{b.Id}={b.Received}")));
    return 0;
}
catch (ArgumentException e)
{
    return Fail(e.Message);
}
catch (IOException e)
{
    return Fail($"cannot listen: {e.Message} Choose other ports with --base-port / --control-port.");
}

static int Int(CliArguments cli, string name, int fallback)
{
    if (cli.Value(name) is not { } text)
    {
        return fallback;
    }

    return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
        ? value
        : throw new ArgumentException($"{name}: '{text}' is not a whole number.");
}

static int Fail(string message)
{
    Console.Error.WriteLine($"lab-backends: {message}");
    return 2;
}
