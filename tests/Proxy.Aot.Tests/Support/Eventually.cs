namespace RoundRobinLab.Proxy.Tests.Support;

/// <summary>
/// Waits for a condition the proxy reaches on its own time (a counter settling once its handler
/// has returned), checking it often and failing after a bound. For state with no event to await.
/// </summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<bool> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                condition().ShouldBeTrue("the condition did not hold in time");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>As <see cref="HoldsAsync(Func{bool}, TimeSpan?)"/>, for a condition that asks over the network.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(10));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                (await condition()).ShouldBeTrue("the condition did not hold in time");
            }

            await Task.Delay(10);
        }
    }
}
