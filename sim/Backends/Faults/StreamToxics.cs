namespace RoundRobinLab.Backends.Faults;

/// <summary>
/// The toxics that hit one connection in one stream, folded into what the pump needs per chunk.
/// Several of one type combine as a chain of them would: latencies, jitters and slow-close delays
/// add up, the lowest rate and every byte limit apply, the first timeout, reset-peer and slicer act.
/// Immutable: a change to the relay's toxics makes a new one (see RelayConnection.Refresh).
/// </summary>
internal sealed class StreamToxics
{
    public static StreamToxics None { get; } = new([]);

    private StreamToxics(ToxicState[] limits) => Limits = limits;

    /// <summary>No toxic hits this stream: the pump copies bytes and nothing else.</summary>
    public bool IsEmpty { get; private init; } = true;

    /// <summary>timeout: nothing passes while it is in force.</summary>
    public ToxicState? Hold { get; private init; }

    public ToxicState? ResetPeer { get; private init; }

    public long LatencyMs { get; private init; }

    public long JitterMs { get; private init; }

    /// <summary>bandwidth: bytes per second (Toxiproxy's KB is 1000 bytes); 0 for no limit.</summary>
    public long BytesPerSecond { get; private init; }

    public ToxicAttributes? Slicer { get; private init; }

    public long SlowCloseMs { get; private init; }

    /// <summary>limit-data: the states whose counts this stream's bytes raise.</summary>
    public ToxicState[] Limits { get; }

    public static StreamToxics From(IEnumerable<ToxicState> states, bool upstream)
    {
        var hits = states.Where(s => s.Hit && s.Toxic.IsUpstream == upstream).ToArray();
        if (hits.Length == 0)
        {
            return None;
        }

        long Total(ToxicKind kind, Func<ToxicAttributes, long?> value) => hits.Where(s => s.Kind == kind).Sum(s => value(s.Attributes) ?? 0);
        var rates = hits.Where(s => s.Kind == ToxicKind.Bandwidth).Select(s => (s.Attributes.Rate ?? 0) * 1000).ToArray();
        return new StreamToxics([.. hits.Where(s => s.Kind == ToxicKind.LimitData)])
        {
            IsEmpty = false,
            Hold = hits.FirstOrDefault(s => s.Kind == ToxicKind.Timeout),
            ResetPeer = hits.FirstOrDefault(s => s.Kind == ToxicKind.ResetPeer),
            LatencyMs = Total(ToxicKind.Latency, a => a.Latency),
            JitterMs = Total(ToxicKind.Latency, a => a.Jitter),
            BytesPerSecond = rates.Length == 0 ? 0 : rates.Min(),
            Slicer = hits.FirstOrDefault(s => s.Kind == ToxicKind.Slicer)?.Attributes,
            SlowCloseMs = Total(ToxicKind.SlowClose, a => a.Delay),
        };
    }
}
