using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Backends.Profiles;

namespace RoundRobinLab.Scenarios.Lab;

/// <summary>The fleet and proxy a scenario needs.</summary>
public sealed record LabSetup
{
    public int Backends { get; init; } = 3;

    public BackendMode Mode { get; init; } = BackendMode.WireMock;

    public ProfileFile Profiles { get; init; } = new();

    /// <summary>How many of the fleet's backends (the first ones) the proxy starts with; null: all.</summary>
    public int? ProxyBackends { get; init; }

    /// <summary>One weight per backend (b1, b2, ...), or null for plain round robin.</summary>
    public IReadOnlyList<int>? Weights { get; init; }

    /// <summary>Serve the proxied port over TLS (https://, HTTP/2 and HTTP/1.1) with a certificate made for the run.</summary>
    public bool Tls { get; init; }

    /// <summary>
    /// A TCP relay in front of each backend for network faults (toxics in <see cref="Profiles"/>, or
    /// set on <c>Fleet[id]</c> while the scenario runs); the proxy is given the relays' addresses.
    /// </summary>
    public bool NetworkFaults { get; init; }

    /// <summary>Extra proxy flags (e.g. a short --eject-seconds for a failure scenario).</summary>
    public IReadOnlyList<string> ProxyArgs { get; init; } = [];
}
