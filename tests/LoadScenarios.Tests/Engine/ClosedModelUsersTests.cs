using RoundRobinLab.Scenarios.Engine;

namespace RoundRobinLab.Scenarios.Tests.Engine;

public sealed class ClosedModelUsersTests
{
    [Fact]
    public async Task Users_EachOnAConnectionOfItsOwn_OneRequestAtATime()
    {
        var options = new LoadOptions { Target = new Uri("http://unused"), Simulation = LoadSimulation.Users(4, TimeSpan.FromSeconds(0.5)) };
        var recorder = new ResponseRecorder { Measuring = true };
        var transport = new ScriptedTransport(TimeSpan.FromMilliseconds(5));

        await new ClosedModelUsers((LoadSimulation.Closed)options.Simulation, new RequestSender(options, recorder), transport, CancellationToken.None).RunAsync();

        transport.Opened.ShouldBe(4);
        transport.Closed.ShouldBe(4);
        transport.MaxInFlight.ShouldBe(4);
        transport.OverlapsOnOneConnection.ShouldBe(0);
        recorder.Completed.ShouldBeGreaterThan(40);
    }

    [Fact]
    public async Task RampDown_UsersLeave_AndCloseTheirConnections()
    {
        var options = new LoadOptions { Target = new Uri("http://unused"), Simulation = LoadSimulation.RampUsers(4, 1, TimeSpan.FromSeconds(1)) };
        var recorder = new ResponseRecorder { Measuring = true };
        var transport = new ScriptedTransport(TimeSpan.FromMilliseconds(5));

        await new ClosedModelUsers((LoadSimulation.Closed)options.Simulation, new RequestSender(options, recorder), transport, CancellationToken.None).RunAsync();

        transport.Opened.ShouldBe(4);
        transport.Closed.ShouldBe(4);
    }
}
