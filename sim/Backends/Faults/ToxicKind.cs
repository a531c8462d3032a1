namespace RoundRobinLab.Backends.Faults;

/// <summary>What a toxic does to the bytes of one stream; the names in JSON are Toxiproxy's (<see cref="Toxic.Type"/>).</summary>
public enum ToxicKind
{
    /// <summary>Each chunk relayed <c>latency</c> ms ± <c>jitter</c> ms late.</summary>
    Latency,

    /// <summary>At most <c>rate</c> KB/s (1 KB = 1000 bytes, as Toxiproxy counts).</summary>
    Bandwidth,

    /// <summary>The close (FIN) relayed <c>delay</c> ms late.</summary>
    SlowClose,

    /// <summary>Nothing relayed; the connection closed after <c>timeout</c> ms, or never when 0.</summary>
    Timeout,

    /// <summary>The connection reset (RST) <c>timeout</c> ms after the stream's next bytes arrive.</summary>
    ResetPeer,

    /// <summary>Writes split into <c>average_size</c> ± <c>size_variation</c> bytes, <c>delay</c> µs apart.</summary>
    Slicer,

    /// <summary>The connection closed once <c>bytes</c> bytes have been relayed in the stream.</summary>
    LimitData,
}
