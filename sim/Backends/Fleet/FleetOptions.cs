using RoundRobinLab.Backends.Profiles;

namespace RoundRobinLab.Backends.Fleet;

public sealed record FleetOptions
{
    public int Count { get; init; } = 3;

    /// <summary>Backend i listens on BasePort + i - 1; 0 gives each a free port.</summary>
    public int BasePort { get; init; } = 5001;

    public BackendMode Mode { get; init; } = BackendMode.WireMock;

    public ProfileFile Profiles { get; init; } = new();
}
