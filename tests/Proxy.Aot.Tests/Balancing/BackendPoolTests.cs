using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using RoundRobinLab.Proxy.Balancing;

namespace RoundRobinLab.Proxy.Tests.Balancing;

public sealed class BackendPoolTests
{
    private static BackendPool Pool(int count, TimeProvider? time = null) =>
        new([.. Enumerable.Range(0, count).Select(i => new Uri($"http://127.0.0.1:{5001 + i}"))],
            TimeSpan.FromSeconds(10), time ?? TimeProvider.System, NullLogger<BackendPool>.Instance);

    private static Dictionary<Backend, int> Count(BackendPool pool, int picks)
    {
        var counts = pool.All.ToDictionary(b => b, _ => 0);
        for (var i = 0; i < picks; i++)
        {
            counts[pool.Next()!]++;
        }

        return counts;
    }

    [Fact]
    public void Next_FirstPicks_FollowConfigurationOrder()
    {
        using var pool = Pool(3);

        Enumerable.Range(0, 6).Select(_ => pool.Next()!.Index).ShouldBe([0, 1, 2, 0, 1, 2]);
    }

    [Fact]
    public void Next_GivesEveryBackendTheSameShare_UnderConcurrency()
    {
        using var pool = Pool(7);
        var counts = new int[7];
        const int Threads = 8;
        const int PicksPerThread = 25_003;

        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            for (var i = 0; i < PicksPerThread; i++)
            {
                Interlocked.Increment(ref counts[pool.Next()!.Index]);
            }
        });

        counts.Sum().ShouldBe(Threads * PicksPerThread);
        (counts.Max() - counts.Min()).ShouldBeLessThanOrEqualTo(1);
    }

    [Fact]
    public void Next_AnyWindowOfConsecutivePicks_GivesFloorOrCeiling()
    {
        using var pool = Pool(3);
        var picks = Enumerable.Range(0, 100).Select(_ => pool.Next()!.Index).ToArray();

        for (var start = 0; start < 50; start++)
        {
            for (var length = 1; length <= 50; length++)
            {
                var window = picks.AsSpan(start, length).ToArray();
                foreach (var backend in new[] { 0, 1, 2 })
                {
                    window.Count(b => b == backend).ShouldBeInRange(length / 3, (length + 2) / 3);
                }
            }
        }
    }

    [Fact]
    public void Eject_SpreadsTheEjectedShareOverAllSurvivors()
    {
        using var pool = Pool(4);
        pool.Eject(pool.All[1], "test");

        var counts = Count(pool, 3 * 1000);

        counts[pool.All[1]].ShouldBe(0);
        // Skipping a dead entry would give backend 2 (its successor) 1500 here.
        counts[pool.All[0]].ShouldBe(1000);
        counts[pool.All[2]].ShouldBe(1000);
        counts[pool.All[3]].ShouldBe(1000);
    }

    [Fact]
    public void Eject_ThenCoolDownPasses_ReadmitsTheBackend()
    {
        var time = new FakeTimeProvider();
        using var pool = Pool(2, time);
        var backend = pool.All[0];

        pool.Eject(backend, "refused");
        backend.Healthy.ShouldBeFalse();
        pool.HealthyCount.ShouldBe(1);

        time.Advance(TimeSpan.FromSeconds(9.9));
        backend.Healthy.ShouldBeFalse();

        time.Advance(TimeSpan.FromSeconds(0.2));
        backend.Healthy.ShouldBeTrue();
        pool.HealthyCount.ShouldBe(2);
        Count(pool, 100).Values.ShouldAllBe(c => c == 50);
    }

    [Fact]
    public void Eject_Twice_KeepsTheFirstCoolDown()
    {
        var time = new FakeTimeProvider();
        using var pool = Pool(2, time);

        pool.Eject(pool.All[0], "refused");
        time.Advance(TimeSpan.FromSeconds(6));
        pool.Eject(pool.All[0], "refused again by a request already in flight");
        time.Advance(TimeSpan.FromSeconds(4.1));

        pool.All[0].Healthy.ShouldBeTrue();
    }

    [Fact]
    public void Next_EveryBackendEjected_ReturnsNull()
    {
        using var pool = Pool(2);
        pool.Eject(pool.All[0], "test");
        pool.Eject(pool.All[1], "test");

        pool.Next().ShouldBeNull();
        pool.HealthyCount.ShouldBe(0);
    }

    [Fact]
    public void NextExcluding_NeverReturnsATriedBackend()
    {
        using var pool = Pool(3);
        var tried = new List<Backend> { pool.All[0], pool.All[2] };

        for (var i = 0; i < 20; i++)
        {
            pool.NextExcluding(tried).ShouldBe(pool.All[1]);
        }

        tried.Add(pool.All[1]);
        pool.NextExcluding(tried).ShouldBeNull();
    }

    [Fact]
    public void Next_AfterTheTicketCounterWraps_StaysInRangeAndInOrder()
    {
        using var pool = Pool(3);
        typeof(BackendPool).GetField("_next", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
            .SetValue(pool, long.MaxValue - 2);

        var picks = Enumerable.Range(0, 9).Select(_ => pool.Next()!.Index).ToArray();

        picks.ShouldAllBe(i => i >= 0 && i < 3);
        // Tickets run on through the wrap as unsigned numbers; the rotation never repeats a backend.
        for (var i = 1; i < picks.Length; i++)
        {
            picks[i].ShouldNotBe(picks[i - 1]);
        }
    }
}
