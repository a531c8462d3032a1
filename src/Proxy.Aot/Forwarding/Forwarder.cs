using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Proxy.Balancing;

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
internal sealed partial class Forwarder(BackendPool pool, HttpMessageInvoker client, ForwarderOptions options, ILogger<Forwarder> logger)
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

        var timer = UpstreamTimer.Rent(options.Timeouts, context.RequestAborted);
        var content = HasBody(context) ? new RequestBodyContent(request.BodyReader, timer) : null;
        var upstreamRequest = UpstreamRequest.Build(context, content, options.Forwarded, out var invalid);
        if (upstreamRequest is null)
        {
            timer.Return();
            await invalid!.WriteAsync(context);
            return;
        }

        // 2. The backend.
        var backend = pool.Next();
        var panic = backend is null;
        backend ??= pool.PanicOrder().First();
        List<Backend>? tried = null;
        try
        {
            while (true)
            {
                // 3. Send. A message is sent once, so a retry builds another. (Neither is
                // disposed: that would dispose the body content, which a retry reuses and which
                // outlives the attempt until step 6.)
                upstreamRequest ??= UpstreamRequest.Build(context, content, options.Forwarded, out _)!;
                UpstreamRequest.Address(upstreamRequest, backend, target);
                HttpResponseMessage? response = null;
                UpstreamFailure? failure = null;
                var detail = "";
                // Rotation only hands out backends in rotation: one that is not was reached in
                // panic, and if it answers it is back.
                var outOfRotation = !backend.Healthy;
                backend.OnAttemptStarted();
                try
                {
                    // An empty body (Content-Length: 0) has nothing to stream: straight to the response timeout.
                    timer.Start(content is not null && request.ContentLength != 0);
                    try
                    {
                        response = await client.SendAsync(upstreamRequest, timer.Token);
                    }
                    catch (Exception e)
                    {
                        failure = UpstreamFailure.Classify(e, timer, content);
                        detail = e.InnerException?.Message ?? e.Message;
                        UpstreamFailed(logger, backend.Prefix, failure.Value.Kind, detail);
                    }
                    finally
                    {
                        upstreamRequest = null;
                    }

                    if (response is not null)
                    {
                        // 5. Relay.
                        using (response)
                        {
                            timer.ResponseStarted();
                            await RelayAsync(context, backend, response, timer, readmit: outOfRotation);
                        }

                        return;
                    }
                }
                finally
                {
                    timer.Stop();
                    backend.OnAttemptEnded();
                }

                // 4. A failure: whose, and where next.
                var kind = failure!.Value;
                if (kind.Kind == FailureKind.ClientGone)
                {
                    context.Abort();
                    return;
                }

                if (kind.BlamesBackend)
                {
                    pool.ReportFailure(backend, ejectAtOnce: kind.Kind == FailureKind.ConnectFailed, kind.Kind == FailureKind.Timeout ? kind.Error!.Reason : detail);
                }

                if (NextAfter(kind, backend, request.Method, content, ref tried) is { } next)
                {
                    backend = next;
                    continue;
                }

                // Panic found nobody to take the request: the fast 503, not a 502 per backend.
                var error = panic && kind.NotDelivered ? ProxyError.NoBackend : kind.Error!;
                await error.WriteAsync(context);
                return;
            }
        }
        finally
        {
            // 6. Nothing may still read the client's body once this request is over.
            if (content is { CopyRunning: true })
            {
                // Cancelling the exchange's token unblocks a write to a backend that stopped
                // reading; the source is then not pooled again (rare: early answers only).
                await timer.CancelAsync();
                await content.StopAsync();
            }

            timer.Return();
        }
    }

    private async Task RelayAsync(HttpContext context, Backend backend, HttpResponseMessage response, UpstreamTimer timer, bool readmit)
    {
        if (ResponseRelay.CopyHead(context, response) is { } unrelayable)
        {
            UpstreamFailed(logger, backend.Prefix, FailureKind.NoResponse, unrelayable.Reason);
            pool.ReportFailure(backend, ejectAtOnce: false, unrelayable.Reason);
            await unrelayable.WriteAsync(context);
            return;
        }

        // An answer, whatever its status: the backend is alive (and, if it answered in panic,
        // back in rotation). A body that breaks below counts as a failure again.
        pool.ReportSuccess(backend, readmit);

        if (ResponseRelay.HasNoBody(context, (int)response.StatusCode))
        {
            return;
        }

        switch (await ResponseRelay.CopyBodyAsync(context, response, timer))
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

    /// <summary>The backend to try next after <paramref name="failure"/>, or null when the request cannot or need not go anywhere else.</summary>
    private Backend? NextAfter(UpstreamFailure failure, Backend failed, string method, RequestBodyContent? content, ref List<Backend>? tried)
    {
        var bodyUnread = content is null || !content.Started;
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
