using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// A response the proxy produces itself: a status and a short plain-text reason, so a client (or
/// the person reading curl's output) sees what happened without a stack trace or an HTML page.
/// The bytes are built once, not per error.
/// </summary>
internal sealed class ProxyError(int statusCode, string reason)
{
    private readonly byte[] _body = Encoding.UTF8.GetBytes(reason + "\n");

    public int StatusCode { get; } = statusCode;

    public string Reason { get; } = reason;

    public static readonly ProxyError NoBackend = new(StatusCodes.Status503ServiceUnavailable,
        "503 Service Unavailable: no backend is in rotation and none accepted a connection. Try again shortly.");

    public static readonly ProxyError AllDrained = new(StatusCodes.Status503ServiceUnavailable,
        "503 Service Unavailable: every backend is drained for maintenance. Try again later.");

    public static readonly ProxyError UpgradeRefused = new(StatusCodes.Status400BadRequest,
        "400 Bad Request: only WebSocket upgrades are forwarded (Upgrade: websocket).");

    public static readonly ProxyError ConnectFailed = new(StatusCodes.Status502BadGateway,
        "502 Bad Gateway: could not connect to any backend.");

    public static readonly ProxyError BackendClosed = new(StatusCodes.Status502BadGateway,
        "502 Bad Gateway: the backend closed the connection before sending a complete response.");

    public static readonly ProxyError BackendInvalid = new(StatusCodes.Status502BadGateway,
        "502 Bad Gateway: the backend sent an invalid HTTP response.");

    public static readonly ProxyError BackendFailed = new(StatusCodes.Status502BadGateway,
        "502 Bad Gateway: the connection to the backend failed before a response arrived.");

    public static readonly ProxyError BackendSwitchedProtocols = new(StatusCodes.Status502BadGateway,
        "502 Bad Gateway: the backend switched protocols (101), which the client did not ask for.");

    public static readonly ProxyError ResponseHeaderInvalid = new(StatusCodes.Status502BadGateway,
        "502 Bad Gateway: the backend sent a response header that cannot be relayed (an invalid name, or a control character in its value).");

    public static readonly ProxyError OutOfResources = new(StatusCodes.Status503ServiceUnavailable,
        "503 Service Unavailable: the proxy has no free sockets (file descriptors) to reach a backend. Try again shortly.");

    public static readonly ProxyError Connect = new(StatusCodes.Status405MethodNotAllowed,
        "405 Method Not Allowed: CONNECT is not supported; this is a reverse proxy, not a forward proxy.");

    public static readonly ProxyError InvalidHeaderName = new(StatusCodes.Status400BadRequest,
        "400 Bad Request: a request header name has a character that is not allowed in a header name (RFC 9110 §5.1).");

    public static readonly ProxyError InvalidHeaderValue = new(StatusCodes.Status400BadRequest,
        "400 Bad Request: a request header value has a control character (only tab is allowed, RFC 9110 §5.5).");

    public static ProxyError ResponseTimeout(TimeSpan responseTimeout) => new(StatusCodes.Status504GatewayTimeout,
        string.Create(CultureInfo.InvariantCulture, $"504 Gateway Timeout: the backend sent no response within {responseTimeout.TotalSeconds:0.###}s."));

    public static ProxyError UploadIdle(TimeSpan idleTimeout) => new(StatusCodes.Status504GatewayTimeout,
        string.Create(CultureInfo.InvariantCulture, $"504 Gateway Timeout: the backend took no request body bytes for {idleTimeout.TotalSeconds:0.###}s."));

    public static ProxyError DownloadIdle(TimeSpan idleTimeout) => new(StatusCodes.Status504GatewayTimeout,
        string.Create(CultureInfo.InvariantCulture, $"504 Gateway Timeout: the backend sent response headers, then nothing for {idleTimeout.TotalSeconds:0.###}s."));

    public static ProxyError BadRequestBody(int statusCode, string detail) => new(statusCode,
        $"{statusCode} {ReasonPhrase(statusCode)}: the request body could not be read ({detail}).");

    /// <summary>Writes the error, or aborts the connection if the response has already started.</summary>
    public Task WriteAsync(HttpContext context)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            // Too late for a status: cutting the connection is the only way the client learns
            // that the response it was reading is incomplete.
            context.Abort();
            return Task.CompletedTask;
        }

        response.Clear();
        response.StatusCode = StatusCode;
        response.ContentType = "text/plain; charset=utf-8";
        response.ContentLength = _body.Length;
        if (StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = "1";
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            return Task.CompletedTask;
        }

        return response.Body.WriteAsync(_body, context.RequestAborted).AsTask();
    }

    private static string ReasonPhrase(int statusCode) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(statusCode) is { Length: > 0 } phrase ? phrase : "Error";
}
