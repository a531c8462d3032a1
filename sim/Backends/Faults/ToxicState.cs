namespace RoundRobinLab.Backends.Faults;

/// <summary>
/// One toxic as one connection has it: whether the toxicity draw hit this connection, and the
/// bytes limit-data has counted. Made when the toxic first meets the connection and kept while
/// the relay keeps an identical toxic, so a change to another toxic neither redraws nor recounts.
/// </summary>
internal sealed class ToxicState(Toxic toxic, ToxicKind kind, bool hit)
{
    public Toxic Toxic { get; } = toxic;

    public ToxicKind Kind { get; } = kind;

    public bool Hit { get; } = hit;

    /// <summary>Set when the relay no longer has the toxic: a timer it started must then not fire.</summary>
    public bool Removed
    {
        get => Volatile.Read(ref _removed);
        set => Volatile.Write(ref _removed, value);
    }

    private bool _removed;

    /// <summary>limit-data: bytes relayed since the toxic met the connection; only its stream's pump touches it.</summary>
    public long Relayed { get; set; }

    public ToxicAttributes Attributes => Toxic.Attributes ?? s_none;

    private static readonly ToxicAttributes s_none = new();
}
