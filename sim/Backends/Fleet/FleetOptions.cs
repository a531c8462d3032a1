using RoundRobinLab.Backends.Profiles;

namespace RoundRobinLab.Backends.Fleet;

public sealed record FleetOptions
{
    public int Count { get; init; } = 3;

    /// <summary>Backend i listens on BasePort + i - 1; 0 gives each a free port.</summary>
    public int BasePort { get; init; } = 5001;

    public BackendMode Mode { get; init; } = BackendMode.WireMock;

    public ProfileFile Profiles { get; init; } = new();

    /// <summary>
    /// Listen on every interface instead of loopback only: for a fleet in a container that a proxy
    /// elsewhere reaches through a Service (deploy/kubernetes). The lab's own runs stay on loopback.
    /// </summary>
    public bool ListenOnAllInterfaces { get; init; }

    /// <summary>
    /// A TCP relay in front of every backend, where toxics (network faults) apply; a proxy then
    /// uses <see cref="FakeBackend.ProxyUrl"/>. Off by default: without it nothing stands between.
    /// </summary>
    public bool NetworkFaults { get; init; }

    /// <summary>Backend i's relay listens on BasePort + RelayPortOffset + i - 1 (b1 on 5001, its relay on 6001).</summary>
    public const int RelayPortOffset = 1000;
}
