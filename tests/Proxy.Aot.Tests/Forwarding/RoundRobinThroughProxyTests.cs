using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Forwarding;

public sealed class RoundRobinThroughProxyTests
{
    [Fact]
    public async Task Forward_ConcurrentRequests_AreSpreadExactlyEvenly()
    {
        var backends = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => TestBackend.StartAsync($"b{i}")));
        await using var proxy = await ProxyUnderTest.StartAsync(backends.Select(b => b.Address));
        try
        {
            var answers = new System.Collections.Concurrent.ConcurrentBag<string>();
            await Parallel.ForAsync(0, 300, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, ct) =>
                answers.Add(await proxy.Client.GetStringAsync("/", ct)));

            // Client side (answer bodies) and backend side (what each received) agree: 100 each.
            answers.GroupBy(a => a).Select(g => g.Count()).ShouldAllBe(c => c == 100);
            backends.ShouldAllBe(b => b.Received.Count == 100);
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }
}
