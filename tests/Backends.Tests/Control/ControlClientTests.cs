using System.Net;
using RoundRobinLab.Backends.Control;

namespace RoundRobinLab.Backends.Tests.Control;

/// <summary>
/// `lab backends ctl` against a running fleet. It prints to the console, which these tests take
/// over for a moment; the assembly runs one test at a time (AssemblyInfo.cs), so nothing else writes there.
/// </summary>
public sealed class ControlClientTests
{
    private static async Task<(int Exit, string Out, string Error)> RunAsync(Uri control, params string[] command)
    {
        var (previousOut, previousError) = (Console.Out, Console.Error);
        using var output = new StringWriter();
        using var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var exit = await ControlClient.RunAsync(command, control.ToString());
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }

    [Fact]
    public async Task DownAndUp_ChangeTheBackend_AndExitZero()
    {
        await using var lab = await ControlledFleet.StartAsync(2);
        using var client = ControlledFleet.Client();

        var down = await RunAsync(lab.ControlUrl, "down", "b1");

        down.Exit.ShouldBe(0);
        lab.Fleet["b1"].IsUp.ShouldBeFalse();
        (await ControlledFleet.GetAsync(client, lab.Fleet["b1"])).ShouldBeNull();

        var up = await RunAsync(lab.ControlUrl, "up", "b1");

        up.Exit.ShouldBe(0);
        (await ControlledFleet.GetAsync(client, lab.Fleet["b1"])).ShouldBe((HttpStatusCode.OK, "b1"));
    }

    [Fact]
    public async Task Status_PrintsTheFleetAsJson()
    {
        await using var lab = await ControlledFleet.StartAsync(2);

        var status = await RunAsync(lab.ControlUrl, "status");

        status.Exit.ShouldBe(0);
        status.Out.ShouldContain("\"id\": \"b1\"");
        status.Out.ShouldContain($"\"url\": \"{lab.Fleet["b2"].Url.ToString().TrimEnd('/')}\"");
    }

    [Fact]
    public async Task Profile_FromAFileOrInline_AppliesIt()
    {
        await using var lab = await ControlledFleet.StartAsync(2);
        using var client = ControlledFleet.Client();
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, """{ "errorRate": 1, "errorStatus": 502 }""");

            (await RunAsync(lab.ControlUrl, "profile", "b1", file)).Exit.ShouldBe(0);
            (await RunAsync(lab.ControlUrl, "profile", "b2", """{ "healthStatus": 503 }""")).Exit.ShouldBe(0);

            (await ControlledFleet.GetAsync(client, lab.Fleet["b1"])).ShouldBe((HttpStatusCode.BadGateway, "b1"));
            (await ControlledFleet.GetAsync(client, lab.Fleet["b2"], "/healthz")).ShouldBe((HttpStatusCode.ServiceUnavailable, "b2"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Toxic_AddListRemoveClear_ChangeTheRelay()
    {
        await using var lab = await ControlledFleet.StartAsync(1, networkFaults: true);
        using var client = ControlledFleet.Client();
        var b1 = lab.Fleet["b1"];
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, """{ "name": "cut", "type": "limit-data", "attributes": { "bytes": 0 } }""");

            (await RunAsync(lab.ControlUrl, "toxic", "b1", "add", file)).Exit.ShouldBe(0);
            (await RunAsync(lab.ControlUrl, "toxic", "b1", "add", """{ "type": "latency", "attributes": { "latency": 1 } }""")).Exit.ShouldBe(0);

            (await ControlledFleet.GetThroughRelayAsync(client, b1)).ShouldBeNull();
            var listed = await RunAsync(lab.ControlUrl, "toxics", "b1");
            listed.Exit.ShouldBe(0);
            listed.Out.ShouldContain("\"name\": \"cut\"");
            listed.Out.ShouldContain("\"name\": \"latency_downstream\"");

            (await RunAsync(lab.ControlUrl, "toxic", "b1", "remove", "cut")).Exit.ShouldBe(0);

            (await ControlledFleet.GetThroughRelayAsync(client, b1)).ShouldBe((HttpStatusCode.OK, "b1"));
            b1.Toxics.Select(t => t.Name).ShouldBe(["latency_downstream"]);

            (await RunAsync(lab.ControlUrl, "toxic", "b1", "clear")).Exit.ShouldBe(0);

            b1.Toxics.ShouldBeEmpty();
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Toxic_RemoveUnknown_ExitsOneNamingIt()
    {
        await using var lab = await ControlledFleet.StartAsync(1, networkFaults: true);

        var result = await RunAsync(lab.ControlUrl, "toxic", "b1", "remove", "nothing");

        result.Exit.ShouldBe(1);
        result.Error.ShouldContain("b1 has no toxic 'nothing'; it has none");
    }

    [Fact]
    public async Task Refused_ExitsOneWithTheReasonOnStandardError()
    {
        await using var lab = await ControlledFleet.StartAsync(1);

        var result = await RunAsync(lab.ControlUrl, "down", "b7");

        result.Exit.ShouldBe(1);
        result.Error.ShouldContain("no backend 'b7'");
        result.Out.ShouldBeEmpty();
    }

    [Fact]
    public async Task NoFleet_ExitsOneSayingHowToStartOne()
    {
        // A port that was free a moment ago: nothing listens there.
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var control = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}");
        probe.Stop();

        var result = await RunAsync(control, "status");

        result.Exit.ShouldBe(1);
        result.Error.ShouldContain($"no fleet answers at {control}");
        result.Error.ShouldContain("--control URL");
    }

    [Theory]
    [InlineData("restart", "b1")]
    [InlineData("down")]
    [InlineData("profile", "b1")]
    [InlineData("toxic", "b1", "add")]
    [InlineData("toxic", "b1")]
    [InlineData("toxics")]
    public async Task UnknownCommand_SaysWhatCtlTakes(params string[] command) =>
        (await Should.ThrowAsync<ArgumentException>(() => RunAsync(new Uri("http://127.0.0.1:1"), command)))
            .Message.ShouldContain("ctl takes: status | down ID | up ID | profile ID FILE-OR-JSON | toxics ID | toxic ID add FILE-OR-JSON | toxic ID remove NAME | toxic ID clear");
}
