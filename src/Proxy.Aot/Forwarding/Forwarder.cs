using System.Runtime.CompilerServices;
using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>What a <see cref="Forwarder"/> needs besides the pool and the client.</summary>
internal sealed record ForwarderOptions
{
    public required UpstreamTimeouts Timeouts { get; init; }

    public ForwardedHeaders Forwarded { get; init; } = ForwardedHeaders.TrustNobody;
}

/// <summary>
/// Forwards one client request to the next backend in rotation and streams the answer back:
/// <list type="number">
/// <item>Answer what the proxy answers itself (<c>OPTIONS *</c>, <c>CONNECT</c>) and refuse, with a
/// 400, what must not reach a backend (<see cref="RequestValidation"/>). No backend is chosen yet,
/// so nothing here can count against one.</item>
/// <item>Take the next backend in rotation; when none is in rotation, every configured backend in
/// turn (panic, see <see cref="BackendPool.PanicOrder"/>).</item>
/// <item>Send the request with its body streaming, under <see cref="UpstreamTimer"/>'s timeouts.</item>
/// <item>On failure, classify it (<see cref="UpstreamFailure"/>): the client's own failures end
/// the request and blame nobody; the backend's count against it, and the request goes to another
/// backend if it can be sent again — any method when nothing was delivered, idempotent ones when
/// the body was never read. Each backend is tried at most once.</item>
/// <item>Relay status, headers and body (<see cref="ResponseRelay"/>).</item>
/// <item>Before returning, stop and await a request body copy that is still running.</item>
/// </list>
/// </summary>
internal sealed partial class Forwarder(BackendPool pool, UpstreamConnector connector, ForwarderOptions options, ILogger<Forwarder> logger)
{
    public async Task ForwardAsync(HttpContext context)
    {
        // 1. What the proxy answers itself, and what it refuses.
        var request = context.Request;
        var target = RequestValidation.Target(context);
        if (target is null)
        {
            await AnswerAsteriskAsync(context);
            return;
        }

        if (HttpMethods.IsConnect(request.Method))
        {
            await ProxyError.Connect.WriteAsync(context);
            return;
        }

        // An HTTP/1.1 request to switch protocols: WebSocket is tunnelled once the backend agrees
        // (see WebSocketTunnel); any other protocol is refused, since nothing here would speak it.
        var upgrade = context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgradable ? upgradable : null;
        if (upgrade is not null && !request.Headers.Upgrade.ToString().Equals("websocket", StringComparison.OrdinalIgnoreCase))
        {
            await ProxyError.UpgradeRefused.WriteAsync(context);
            return;
        }

        // The header fields are written once, before any backend is chosen: a malformed request
        // is refused without blaming one. Each attempt puts its own request line before them.
        var hasBody = upgrade is null && HasBody(context);
        var headers = HeadBuffers.Rent();
        if (RequestHeadWriter.WriteHeaders(headers, context, options.Forwarded, chunkedBody: hasBody && request.ContentLength is null,
            upgrade: upgrade is null ? null : request.Headers.Upgrade.ToString()) is { } invalid)
        {
            HeadBuffers.Return(headers);
            await invalid.WriteAsync(context);
            return;
        }

        var timer = UpstreamTimer.Rent(options.Timeouts, context.RequestAborted);
        // An empty body (Content-Length: 0) has nothing to stream: straight to the response timeout.
        var body = hasBody && request.ContentLength != 0 ? new RequestBody(request.BodyReader, timer, chunked: request.ContentLength is null) : null;
        var expectContinue = body is not null && ExpectsContinue(request);

        // 2. The backend.
        var backend = pool.Next();
        var panic = backend is null;
        // Panic offers every backend but those the operator drained; with all drained, nobody.
        backend ??= pool.PanicOrder().FirstOrDefault();
        List<Backend>? tried = null;
        try
        {
            if (backend is null)
            {
                await ProxyError.AllDrained.WriteAsync(context);
                return;
            }

            while (true)
            {
                // Rotation only hands out backends in rotation: one that is not was reached in
                // panic, and if it answers it is back.
                var outOfRotation = !backend.Healthy;
                UpstreamFailure failure;
                backend.OnAttemptStarted();
                try
                {
                    // 3. Send.
                    timer.Start(body is not null);
                    UpstreamConnection? connection;
                    (connection, failure) = await ExchangeAsync(request.Method, backend, target, headers, body, expectContinue, timer);
                    if (connection is not null)
                    {
                        // 5. Relay (or, when the backend switched to WebSocket, tunnel).
                        timer.ResponseStarted();
                        if (upgrade is not null && connection.Head.StatusCode == StatusCodes.Status101SwitchingProtocols)
                        {
                            timer.Stop();
                            // The 101 is an answer: the backend is alive (and back, if reached in panic).
                            pool.ReportSuccess(backend, outOfRotation);
                            await WebSocketTunnel.RunAsync(context, upgrade, connection, TimeSpan.FromMilliseconds(options.Timeouts.IdleMs));
                            return;
                        }

                        await RelayAsync(context, backend, connection, body, timer, readmit: outOfRotation);
                        return;
                    }
                }
                finally
                {
                    timer.Stop();
                    backend.OnAttemptEnded();
                }

                // 4. A failure: whose, and where next.
                if (failure.Kind == FailureKind.ClientGone)
                {
                    context.Abort();
                    return;
                }

                if (failure.BlamesBackend)
                {
                    pool.ReportFailure(backend, ejectAtOnce: failure.Kind == FailureKind.ConnectFailed, failure.Reason);
                }

                // A body copy that never began (waiting for a 100) must be over before another
                // attempt starts one.
                if (body is not null)
                {
                    await body.StopAsync();
                }

                if (NextAfter(failure, backend, request.Method, body, ref tried) is { } next)
                {
                    backend = next;
                    continue;
                }

                // Panic found nobody to take the request: the fast 503, not a 502 per backend.
                var error = panic && failure.NotDelivered ? ProxyError.NoBackend : failure.Error!;
                await error.WriteAsync(context);
                return;
            }
        }
        finally
        {
            // 6. Nothing may still read the client's body once this request is over.
            if (body is { CopyRunning: true })
            {
                // Cancelling the exchange's token unblocks a write to a backend that stopped
                // reading; the source is then not pooled again (rare: early answers only).
                await timer.CancelAsync();
                await body.StopAsync();
            }

            timer.Return();
            HeadBuffers.Return(headers);
        }
    }

    /// <summary>
    /// One attempt on <paramref name="backend"/>: a connection (kept-alive or new), the request,
    /// the response head. On success the connection is returned, positioned at the body; on
    /// failure it is closed. A kept-alive connection that turns out closed is replaced by a new
    /// one once, without counting anything (<see cref="FailureKind.Stale"/>).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(UpstreamConnection?, UpstreamFailure)> ExchangeAsync(
        string method, Backend backend, string target, ArrayBufferWriter<byte> headers, RequestBody? body, bool expectContinue, UpstreamTimer timer)
    {
        var fresh = false;
        while (true)
        {
            UpstreamConnection connection;
            try
            {
                // A request with a body cannot go again once the body began, so it gets a
                // connection checked for a close that arrived while it was idle.
                connection = await connector.RentAsync(backend, fresh, checkIdle: body is not null, timer.Token);
            }
            catch (Exception e)
            {
                var connectFailure = UpstreamFailure.Classify(e, timer, body);
                UpstreamFailed(logger, backend.Prefix, connectFailure.Kind, connectFailure.Reason);
                return (null, connectFailure);
            }

            if (await UpstreamExchange.SendAsync(connection, method, backend, target, headers, body, expectContinue, timer, logger) is not { } failure)
            {
                return (connection, default);
            }

            connection.Dispose();
            if (failure.Kind == FailureKind.Stale && !fresh)
            {
                if (body is not null)
                {
                    await body.StopAsync();
                }

                fresh = true;
                continue;
            }

            if (failure.Kind == FailureKind.Stale)
            {
                failure = new UpstreamFailure(FailureKind.NoResponse, ProxyError.BackendClosed);
            }

            UpstreamFailed(logger, backend.Prefix, failure.Kind, failure.Reason);
            return (null, failure);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask RelayAsync(HttpContext context, Backend backend, UpstreamConnection connection, RequestBody? body, UpstreamTimer timer, bool readmit)
    {
        var head = connection.Head;
        var headRequest = HttpMethods.IsHead(context.Request.Method);
        var result = RelayResult.BackendFailed;
        try
        {
            if (ResponseRelay.CopyHead(context, head) is { } unrelayable)
            {
                UpstreamFailed(logger, backend.Prefix, FailureKind.NoResponse, unrelayable.Reason);
                pool.ReportFailure(backend, ejectAtOnce: false, unrelayable.Reason);
                await unrelayable.WriteAsync(context);
                return;
            }

            // An answer, whatever its status: the backend is alive (and, if it answered in panic,
            // back in rotation). A body that breaks below counts as a failure again.
            pool.ReportSuccess(backend, readmit);

            result = await ResponseRelay.CopyBodyAsync(context, connection, head.Framing(headRequest), timer);
            switch (result)
            {
                case RelayResult.BackendFailed:
                    var idle = timer.Expired == UpstreamPhase.Receiving;
                    var reason = idle ? "no response body bytes within the idle timeout" : "the response body broke off";
                    UpstreamBodyFailed(logger, backend.Prefix, reason);
                    pool.ReportFailure(backend, ejectAtOnce: false, reason);
                    // Before anything reached the client this is a 504 or 502; after, the client can
                    // only learn through a cut connection (WriteAsync aborts). A body never ends
                    // early as if it were complete.
                    await (idle ? timer.Timeouts.DownloadIdle : ProxyError.BackendFailed).WriteAsync(context);
                    break;
                case RelayResult.ClientGone:
                    context.Abort();
                    break;
            }
        }
        finally
        {
            // The connection carries another request only after a whole exchange: the response
            // complete with nothing after it, the request body all sent, and no close announced.
            if (result == RelayResult.Complete && head.KeepAlive(headRequest)
                && connection.BufferedLength == 0 && body is null or { Sent: true })
            {
                backend.Connections.Return(connection);
            }
            else
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>The backend to try next after <paramref name="failure"/>, or null when the request cannot or need not go anywhere else.</summary>
    private Backend? NextAfter(UpstreamFailure failure, Backend failed, string method, RequestBody? body, ref List<Backend>? tried)
    {
        var bodyUnread = body is null || !body.Started;
        var canRetry = failure.Kind switch
        {
            FailureKind.ConnectFailed or FailureKind.ConnectTimeout => bodyUnread,
            FailureKind.NoResponse => IsIdempotent(method) && bodyUnread,
            _ => false,
        };
        if (!canRetry)
        {
            return null;
        }

        (tried ??= []).Add(failed);
        if (pool.NextExcluding(tried) is { } next)
        {
            next.OnRetried();
            return next;
        }

        // Nobody left in rotation: in panic only a connection that could not be made moves on,
        // to a configured backend not tried yet.
        if (pool.HealthyCount == 0 && failure.NotDelivered)
        {
            foreach (var candidate in pool.PanicOrder())
            {
                if (!tried.Contains(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// <c>OPTIONS *</c> asks about the server itself (RFC 9110 §9.3.7). Kestrel answers the
    /// asterisk form with any other method itself (405), so only OPTIONS gets here.
    /// </summary>
    private static Task AnswerAsteriskAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers.Allow = "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE";
        response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private static bool ExpectsContinue(HttpRequest request)
    {
        foreach (var value in request.Headers.Expect)
        {
            if (value is not null && value.Contains("100-continue", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasBody(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
        || context.Request.ContentLength is not null;

    // RFC 9110 §9.2.2.
    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsTrace(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Backend {Backend} failed ({Kind}): {Message}")]
    private static partial void UpstreamFailed(ILogger logger, string backend, FailureKind kind, string message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Backend {Backend} failed while sending the response body: {Message}")]
    private static partial void UpstreamBodyFailed(ILogger logger, string backend, string message);
}
