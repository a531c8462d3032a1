namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// --response-timeout and --idle-timeout with the 504s they end in, built once at start: an error
/// is a value (<see cref="ProxyError"/>), not something formatted per timed-out request.
/// </summary>
internal sealed class UpstreamTimeouts(TimeSpan response, TimeSpan idle)
{
    public long ResponseMs { get; } = (long)response.TotalMilliseconds;

    public long IdleMs { get; } = (long)idle.TotalMilliseconds;

    /// <summary>No response headers within the response timeout of the end of the request.</summary>
    public ProxyError NoResponse { get; } = ProxyError.ResponseTimeout(response);

    /// <summary>The backend took no request body bytes for the idle timeout.</summary>
    public ProxyError UploadIdle { get; } = ProxyError.UploadIdle(idle);

    /// <summary>Response headers, then no body byte for the idle timeout.</summary>
    public ProxyError DownloadIdle { get; } = ProxyError.DownloadIdle(idle);
}
