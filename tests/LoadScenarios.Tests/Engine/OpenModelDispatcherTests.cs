using HdrHistogram;
using RoundRobinLab.Scenarios.Engine;

namespace RoundRobinLab.Scenarios.Tests.Engine;

public sealed class OpenModelDispatcherTests
{
    [Fact]
    public async Task Dispatch_WithOneSlot_SendsOneAtATime_AndCountsTheWaitAsLatency()
    {
        // 30 requests due over 0.3 s, each answered in 20 ms, one at a time: the last one is
        // sent about 0.6 s in, 0.3 s after it was due, and its latency says so.
        var options = new LoadOptions { Target = new Uri("http://unused"), Simulation = LoadSimulation.Rate(100, TimeSpan.FromSeconds(0.3)), MaxInFlight = 1 };
        var recorder = new ResponseRecorder { Measuring = true };
        var sender = new RequestSender(options, recorder);
        var transport = new ScriptedTransport(TimeSpan.FromMilliseconds(20));

        await new OpenModelDispatcher((LoadSimulation.Open)options.Simulation, options.MaxInFlight, sender, transport.Shared, CancellationToken.None).RunAsync();
        await sender.DrainAsync(TimeSpan.FromSeconds(5));

        recorder.Completed.ShouldBe(30);
        transport.MaxInFlight.ShouldBe(1);
        (recorder.TakeInterval().GetMaxValue() / 1000.0).ShouldBeGreaterThan(200);
    }

    [Fact]
    public async Task Dispatch_StopsAtTheRequestBound()
    {
        var options = new LoadOptions { Target = new Uri("http://unused"), Simulation = LoadSimulation.Rate(1000, TimeSpan.FromSeconds(1)), MaxRequests = 10 };
        var recorder = new ResponseRecorder { Measuring = true };
        var sender = new RequestSender(options, recorder);
        var transport = new ScriptedTransport(TimeSpan.Zero);

        await new OpenModelDispatcher((LoadSimulation.Open)options.Simulation, options.MaxInFlight, sender, transport.Shared, CancellationToken.None).RunAsync();
        await sender.DrainAsync(TimeSpan.FromSeconds(5));

        recorder.Completed.ShouldBe(10);
    }
}
