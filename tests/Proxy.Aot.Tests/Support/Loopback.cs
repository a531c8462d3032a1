using RoundRobinLab.Harness;

namespace RoundRobinLab.Proxy.Tests.Support;

internal static class Loopback
{
    /// <summary>A loopback address where nothing listens (yet): connecting is refused at once.</summary>
    public static Uri UnusedAddress() => new($"http://127.0.0.1:{FreePort.Next()}");
}
