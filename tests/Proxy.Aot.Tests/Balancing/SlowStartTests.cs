using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using RoundRobinLab.Proxy.Balancing;

namespace RoundRobinLab.Proxy.Tests.Balancing;

public sealed class SlowStartTests
{
    private static BackendPool Pool(FakeTimeProvider time, TimeSpan slowStart, params int[] weights) =>
        new([.. weights.Select((_, i) => new Uri($"http://127.0.0.1:{5001 + i}"))], TimeSpan.FromSeconds(10), time, NullLogger<BackendPool>.Instance,
            weights: weights, slowStart: slowStart);

    private static int[] Count(BackendPool pool, int picks)
    {
        var counts = new int[pool.All.Count];
        for (var i = 0; i < picks; i++)
        {
            counts[pool.Next()!.Index]++;
        }

        return counts;
    }

    [Fact]
    public void AReadmittedBackend_ClimbsLinearlyFromATenthOfItsWeight_ToItsWeight()
    {
        var time = new FakeTimeProvider();
        using var pool = Pool(time, TimeSpan.FromSeconds(10), 1, 1, 1);
        pool.Eject(pool.All[0], "test");
        time.Advance(TimeSpan.FromSeconds(10));

        // Weights 1 : 10 : 10 right after the readmission (one cycle of 21).
        pool.All[0].State.ShouldBe("slow-start");
        Count(pool, 21).ShouldBe([1, 10, 10]);

        // Half way: 5 : 10 : 10, i.e. 1 : 2 : 2.
        time.Advance(TimeSpan.FromSeconds(5));
        Count(pool, 5).ShouldBe([1, 2, 2]);

        // Done: plain round robin again.
        time.Advance(TimeSpan.FromSeconds(5));
        pool.All[0].State.ShouldBe("active");
        Count(pool, 3).ShouldBe([1, 1, 1]);
    }

    [Fact]
    public void WithoutSlowStart_AReadmittedBackend_GetsItsFullShareAtOnce()
    {
        var time = new FakeTimeProvider();
        using var pool = Pool(time, TimeSpan.Zero, 1, 1, 1);
        pool.Eject(pool.All[0], "test");
        time.Advance(TimeSpan.FromSeconds(10));

        pool.All[0].State.ShouldBe("active");
        Count(pool, 3).ShouldBe([1, 1, 1]);
    }

    [Fact]
    public void ABackendAddedAtRuntime_SlowStartsToo_FromItsOwnWeight()
    {
        var time = new FakeTimeProvider();
        using var pool = Pool(time, TimeSpan.FromSeconds(10), 2);
        pool.Replace([(pool.All[0].Address, 2), (new Uri("http://127.0.0.1:5009"), 4)]);

        // 20 : 1 at first: weights count in tenths while one ramps (2 is 20), and the newcomer starts at 1.
        Count(pool, 21).ShouldBe([20, 1]);
        time.Advance(TimeSpan.FromSeconds(5));
        // 20 : 20 half way.
        Count(pool, 2).ShouldBe([1, 1]);
        time.Advance(TimeSpan.FromSeconds(5));
        Count(pool, 3).ShouldBe([1, 2]);
    }

    [Fact]
    public void ABackendRemovedWhileEjected_AndAddedBackBeforeItHadGone_IsReadmittedAfterItsCoolDown()
    {
        var time = new FakeTimeProvider();
        using var pool = Pool(time, TimeSpan.Zero, 1, 1);
        var ejected = pool.All[0];
        pool.Eject(ejected, "test");
        // A request still in flight keeps it among the leaving ones (state "draining").
        ejected.OnAttemptStarted();
        pool.Replace([(pool.All[1].Address, 1)]);
        ejected.State.ShouldBe("draining");
        pool.Replace([(ejected.Address, 1), (pool.All[0].Address, 1)]);

        pool.All[0].ShouldBeSameAs(ejected);
        ejected.State.ShouldBe("ejected");
        time.Advance(TimeSpan.FromSeconds(10));

        ejected.State.ShouldBe("active");
        pool.HealthyCount.ShouldBe(2);
    }
}
