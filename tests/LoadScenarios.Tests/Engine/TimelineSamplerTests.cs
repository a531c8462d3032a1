using RoundRobinLab.Scenarios.Engine;

namespace RoundRobinLab.Scenarios.Tests.Engine;

/// <summary>The sampler on a clock the test moves, ticked by hand.</summary>
public sealed class TimelineSamplerTests
{
    private readonly ResponseRecorder _recorder = new();
    private readonly List<Progress> _reports = [];
    private TimeSpan _now;

    private TimelineSampler NewSampler() => new(_recorder, () => _now, TimeSpan.FromSeconds(10), () => 7, new Reports(_reports));

    [Fact]
    public void Sample_DuringWarmUp_AddsNoPointAndReportsWarmingUp()
    {
        var sampler = NewSampler();
        _recorder.RecordResponse(measured: false, 200, 2, "a", TimeSpan.FromMilliseconds(1));
        _now = TimeSpan.FromSeconds(1);

        sampler.Sample();

        _reports.ShouldHaveSingleItem().ShouldBe(new Progress(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), WarmingUp: true, 0, 0, 0, 7));
    }

    [Fact]
    public async Task Sample_InMeasuredPhase_AddsOnePointPerTick_WithThatTicksCounts()
    {
        var sampler = NewSampler();
        _now = TimeSpan.FromSeconds(2);
        sampler.StartMeasuring();
        _recorder.RecordResponse(measured: true, 200, 2, "a", TimeSpan.FromMilliseconds(1));
        _recorder.RecordResponse(measured: true, 200, 2, "a", TimeSpan.FromMilliseconds(2));
        _recorder.RecordResponse(measured: true, 503, 2, "b", TimeSpan.FromMilliseconds(3));
        _recorder.RecordError(measured: true, ErrorKind.Reset);
        _now = TimeSpan.FromSeconds(3);
        sampler.Sample();
        _recorder.RecordResponse(measured: true, 200, 2, "b", TimeSpan.FromMilliseconds(4));
        _now = TimeSpan.FromSeconds(4);
        sampler.Sample();

        var (_, timeline) = await sampler.FinishAsync();

        timeline.Count.ShouldBe(2);
        timeline[0].Second.ShouldBe(1.0);
        timeline[0].Completed.ShouldBe(4);
        timeline[0].Errors.ShouldBe(2);
        timeline[0].Backends.ShouldBe(new Dictionary<string, long> { ["a"] = 2, ["b"] = 1 }, ignoreOrder: true);
        timeline[1].Second.ShouldBe(2.0);
        timeline[1].Completed.ShouldBe(1);
        timeline[1].Errors.ShouldBe(0);
        timeline[1].P50Ms.ShouldBe(4, tolerance: 0.01);
        _reports[^1].CurrentRate.ShouldBe(1);
    }

    [Fact]
    public void StartMeasuring_LeavesWarmUpAnswersOutOfTheFirstPoint()
    {
        var sampler = NewSampler();
        _recorder.RecordResponse(measured: false, 200, 2, "a", TimeSpan.FromMilliseconds(1));
        sampler.StartMeasuring();
        _recorder.RecordResponse(measured: true, 200, 2, "b", TimeSpan.FromMilliseconds(1));

        sampler.Sample();

        _reports.ShouldHaveSingleItem().Completed.ShouldBe(1);
    }

    [Fact]
    public async Task FinishAsync_MergesWhatCameAfterTheLastTick()
    {
        var sampler = NewSampler();
        sampler.StartMeasuring();
        _recorder.RecordResponse(measured: true, 200, 2, "a", TimeSpan.FromMilliseconds(1));
        _recorder.RecordResponse(measured: true, 200, 2, "a", TimeSpan.FromMilliseconds(1));
        sampler.Sample();
        _recorder.RecordResponse(measured: true, 200, 2, "a", TimeSpan.FromMilliseconds(1));

        var (latency, timeline) = await sampler.FinishAsync();

        latency.TotalCount.ShouldBe(3);
        timeline.ShouldHaveSingleItem().Completed.ShouldBe(2);
        _recorder.Measuring.ShouldBeFalse();
    }

    [Fact]
    public async Task StartMeasuring_RacingATick_IsSeenWhole()
    {
        // The switch reads the clock to start the seconds at 100 s. The clock holds the switch
        // there and lets a tick in: a tick that ran now would see the recorder measuring but the
        // old start, and put its point at second 100 instead of 0. The switch holds the lock, so
        // the tick cannot run until it is over; the clock gives up waiting for it after 200 ms.
        var recorder = new ResponseRecorder();
        using var inSwitch = new ManualResetEventSlim();
        using var ticked = new ManualResetEventSlim();
        var clockReads = 0;
        TimeSpan Clock()
        {
            if (Interlocked.Increment(ref clockReads) == 1)
            {
                inSwitch.Set();
                ticked.Wait(TimeSpan.FromMilliseconds(200));
            }

            return TimeSpan.FromSeconds(100);
        }

        var sampler = new TimelineSampler(recorder, Clock, TimeSpan.FromSeconds(200), () => 0, null);
        // A thread of its own: the clock blocks a thread, and the pool may have no other free.
        var tick = new Thread(() =>
        {
            inSwitch.Wait();
            sampler.Sample();
            ticked.Set();
        });
        tick.Start();

        sampler.StartMeasuring();
        tick.Join();
        var (_, timeline) = await sampler.FinishAsync();

        timeline.ShouldHaveSingleItem().Second.ShouldBe(0);
    }

    /// <summary>Reports synchronously, unlike Progress&lt;T&gt;, so the test sees them when Sample returns.</summary>
    private sealed class Reports(List<Progress> reports) : IProgress<Progress>
    {
        public void Report(Progress value) => reports.Add(value);
    }
}
