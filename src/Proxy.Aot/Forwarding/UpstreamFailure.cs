using Microsoft.AspNetCore.Http;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>Whose fault a failed exchange was, which decides what is retried and what counts against a backend.</summary>
internal enum FailureKind
{
    /// <summary>The client went away or cancelled: nothing to answer, nobody to blame.</summary>
    ClientGone,

    /// <summary>The client's request body was malformed: 400, the backend is blameless.</summary>
    BadRequest,

    /// <summary>Raised inside the proxy before anything reached a backend (say, out of file descriptors): never retried, never counted.</summary>
    Local,

    /// <summary>The connection was refused or could not be made at once: nothing was sent; eject at once.</summary>
    ConnectFailed,

    /// <summary>No connection within --connect-timeout: nothing was sent; counts towards --max-fails.</summary>
    ConnectTimeout,

    /// <summary>Sent, but the connection broke or the answer was not HTTP: counts towards --max-fails.</summary>
    NoResponse,

    /// <summary>--response-timeout or --idle-timeout ran out: counts towards --max-fails.</summary>
    Timeout,

    /// <summary>
    /// A kept-alive connection turned out closed (the backend let it go while it was idle) before
    /// any answer and before the body was read: the request goes again at once on a new
    /// connection to the same backend, and nothing is counted.
    /// </summary>
    Stale,
}

/// <summary>A failed exchange, classified, with the error the client gets for it.</summary>
internal readonly record struct UpstreamFailure(FailureKind Kind, ProxyError? Error, string? Detail = null)
{
    /// <summary>What went wrong, for the log and the ejection reason: the detail when there is one, else the client's error.</summary>
    public string Reason => Detail ?? Error?.Reason ?? "the client went away";

    /// <summary>Nothing reached the backend, so any method may go elsewhere (if its body was never read).</summary>
    public bool NotDelivered => Kind is FailureKind.ConnectFailed or FailureKind.ConnectTimeout;

    /// <summary>Whether the failure is the backend's, to be counted against it.</summary>
    public bool BlamesBackend => Kind is FailureKind.ConnectFailed or FailureKind.ConnectTimeout or FailureKind.NoResponse or FailureKind.Timeout;

    /// <summary>
    /// Classifies what connecting, sending or awaiting the response head threw. The client's part
    /// is looked at first: its abort or bad body is never the backend's fault.
    /// </summary>
    public static UpstreamFailure Classify(Exception exception, UpstreamTimer timer, RequestBody? body)
    {
        if (timer.ClientAborted)
        {
            return new(FailureKind.ClientGone, null);
        }

        if (body?.ClientError is { } clientError)
        {
            return clientError is BadHttpRequestException bad
                ? new(FailureKind.BadRequest, ProxyError.BadRequestBody(bad.StatusCode, bad.Message))
                : new(FailureKind.ClientGone, null);
        }

        if (exception is ConnectException connect)
        {
            return connect.Local ? new(FailureKind.Local, ProxyError.OutOfResources, connect.Message)
                : connect.TimedOut ? new(FailureKind.ConnectTimeout, ProxyError.ConnectFailed, connect.Message)
                : new(FailureKind.ConnectFailed, ProxyError.ConnectFailed, connect.Message);
        }

        return timer.Expired switch
        {
            UpstreamPhase.AwaitingResponse => new(FailureKind.Timeout, timer.Timeouts.NoResponse),
            UpstreamPhase.Sending => new(FailureKind.Timeout, timer.Timeouts.UploadIdle),
            _ => new(FailureKind.NoResponse, ProxyError.BackendFailed, exception.Message),
        };
    }
}
