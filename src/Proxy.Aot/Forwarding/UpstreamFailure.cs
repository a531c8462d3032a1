using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

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
}

/// <summary>A failed exchange, classified, with the error the client gets for it.</summary>
internal readonly record struct UpstreamFailure(FailureKind Kind, ProxyError? Error)
{
    /// <summary>Nothing reached the backend, so any method may go elsewhere (if its body was never read).</summary>
    public bool NotDelivered => Kind is FailureKind.ConnectFailed or FailureKind.ConnectTimeout;

    /// <summary>Whether the failure is the backend's, to be counted against it.</summary>
    public bool BlamesBackend => Kind is FailureKind.ConnectFailed or FailureKind.ConnectTimeout or FailureKind.NoResponse or FailureKind.Timeout;

    /// <summary>Classifies what <c>SendAsync</c> threw. The client's part is looked at first: its abort or bad body is never the backend's fault.</summary>
    public static UpstreamFailure Classify(Exception exception, UpstreamTimer timer, RequestBodyContent? content)
    {
        if (timer.ClientAborted)
        {
            return new(FailureKind.ClientGone, null);
        }

        if (content?.ClientError is { } clientError)
        {
            return clientError is BadHttpRequestException bad
                ? new(FailureKind.BadRequest, ProxyError.BadRequestBody(bad.StatusCode, bad.Message))
                : new(FailureKind.ClientGone, null);
        }

        if (exception is OperationCanceledException)
        {
            switch (timer.Expired)
            {
                case UpstreamPhase.AwaitingResponse:
                    return new(FailureKind.Timeout, timer.Timeouts.NoResponse);
                case UpstreamPhase.Sending:
                    return new(FailureKind.Timeout, timer.Timeouts.UploadIdle);
            }

            // SocketsHttpHandler reports its ConnectTimeout as a cancellation caused by a TimeoutException.
            if (exception.InnerException is TimeoutException)
            {
                return new(FailureKind.ConnectTimeout, ProxyError.ConnectFailed);
            }

            return new(FailureKind.NoResponse, ProxyError.BackendFailed);
        }

        if (exception is HttpRequestException http)
        {
            if (FindSocketError(http) is { } socketError && IsLocal(socketError))
            {
                return new(FailureKind.Local, ProxyError.OutOfResources);
            }

            return http.HttpRequestError switch
            {
                HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError
                    when !IsAfterConnect(http) => new(FailureKind.ConnectFailed, ProxyError.ConnectFailed),
                HttpRequestError.ResponseEnded => new(FailureKind.NoResponse, ProxyError.BackendClosed),
                HttpRequestError.InvalidResponse => new(FailureKind.NoResponse, ProxyError.BackendInvalid),
                // An exception of its own making with no I/O under it: HttpClient refused the request
                // before sending it (a header it cannot encode, say). Nothing reached the backend.
                HttpRequestError.Unknown when http.InnerException is null => new(FailureKind.Local, ProxyError.CannotSend(http.Message)),
                _ => new(FailureKind.NoResponse, ProxyError.BackendFailed),
            };
        }

        if (exception is ArgumentException or InvalidOperationException or FormatException)
        {
            return new(FailureKind.Local, ProxyError.CannotSend(exception.Message));
        }

        return new(FailureKind.NoResponse, ProxyError.BackendFailed);
    }

    // ConnectionError also covers a connection that broke after it was made; only a socket error
    // from the connect itself proves that nothing was sent.
    private static bool IsAfterConnect(HttpRequestException exception) =>
        exception.InnerException is not SocketException && exception.InnerException?.InnerException is not SocketException
        && exception.InnerException is not null && exception.InnerException is not TimeoutException;

    private static SocketError? FindSocketError(Exception exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.SocketErrorCode;
            }
        }

        return null;
    }

    // EMFILE/ENFILE and ENOBUFS: this process or machine is out of sockets; the backend is fine.
    private static bool IsLocal(SocketError error) => error is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable;
}
