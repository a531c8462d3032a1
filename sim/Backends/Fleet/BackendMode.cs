namespace RoundRobinLab.Backends.Fleet;

public enum BackendMode
{
    /// <summary>WireMock.Net: identity JSON, request log, profiles, admin API. For behaviour experiments.</summary>
    WireMock,

    /// <summary>A bare Kestrel responder with the same identity header, for throughput experiments.</summary>
    Lean,
}
