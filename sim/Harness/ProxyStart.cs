namespace RoundRobinLab.Harness;

/// <summary>How to launch the published proxy. The harness owns its listeners (--urls, --admin-urls).</summary>
public sealed record ProxyStart
{
    public required string Binary { get; init; }

    /// <summary>Every flag but the listeners: --backends, timeouts, TLS files, ...</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>One proxied listener per scheme ("http", "https"), in this order.</summary>
    public IReadOnlyList<string> Schemes { get; init; } = ["http"];

    /// <summary>The first proxied listener's port; 0: a free one (the others always take free ones).</summary>
    public int ProxyPort { get; init; }

    /// <summary>The admin listener's port; 0: a free one.</summary>
    public int AdminPort { get; init; }

    /// <summary>Also write the proxy's output to this file, as it comes.</summary>
    public string? LogFile { get; init; }

    /// <summary>File-descriptor limits (soft, hard) to run the proxy under; null: this process's own.</summary>
    public (int Soft, int Hard)? DescriptorLimits { get; init; }
}
