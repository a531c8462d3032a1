using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using RoundRobinLab.Proxy.Balancing;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// Forwards one client request to the next backend in rotation and streams the answer back.
/// <para>
/// Retries: a request that could not be delivered (connection refused, connect timeout) goes to
/// the next backend whatever its method, and the backend is ejected. A request that was delivered
/// but got no response is retried only when its method is idempotent and its body was never read.
/// Each backend is tried at most once per request.
/// </para>
/// </summary>
internal sealed partial class Forwarder(BackendPool pool, HttpMessageInvoker client, TimeSpan responseTimeout, ILogger<Forwarder> logger)
{
    private const long LargeBody = 64 * 1024;
    private const int LargeReadSize = 16 * 1024;

    private static readonly UriCreationOptions s_verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    private readonly ProxyError _timeout = ProxyError.Timeout(responseTimeout);

    public async Task ForwardAsync(HttpContext context)
    {
        var target = RequestTarget(context);
        if (target is null)
        {
            await ProxyError.AsteriskForm.WriteAsync(context);
            return;
        }

        if (HttpMethods.IsConnect(context.Request.Method))
        {
            await ProxyError.Connect.WriteAsync(context);
            return;
        }

        var backend = pool.Next();
        if (backend is null)
        {
            await ProxyError.NoBackend.WriteAsync(context);
            return;
        }

        var content = HasBody(context.Request) ? new RequestBodyContent(context.Request.BodyReader) : null;
        var cancellation = UpstreamCancellation.Rent(context.RequestAborted);
        List<Backend>? tried = null;
        try
        {
            while (true)
            {
                var request = BuildRequest(context, backend, target, content);
                backend.OnAttemptStarted();
                HttpResponseMessage response;
                try
                {
                    cancellation.StartResponseTimer(responseTimeout);
                    response = await client.SendAsync(request, cancellation.Token);
                    cancellation.StopResponseTimer();
                }
                catch (Exception e)
                {
                    backend.OnAttemptEnded(failed: true);
                    var failure = Classify(e, cancellation, content);
                    if (failure.Kind == FailureKind.ClientGone)
                    {
                        context.Abort();
                        return;
                    }

                    UpstreamFailed(logger, backend.Prefix, failure.Kind, e.Message);
                    if (failure.Kind == FailureKind.NotDelivered)
                    {
                        pool.Eject(backend, e.InnerException?.Message ?? e.Message);
                    }

                    if (CanRetry(failure.Kind, context.Request.Method, content))
                    {
                        (tried ??= []).Add(backend);
                        var next = pool.NextExcluding(tried);
                        if (next is not null)
                        {
                            backend = next;
                            continue;
                        }
                    }

                    await (failure.Error ?? _timeout).WriteAsync(context);
                    return;
                }

                await RelayResponseAsync(context, backend, response, cancellation.Token);
                return;
            }
        }
        finally
        {
            cancellation.Return();
        }
    }

    private async Task RelayResponseAsync(HttpContext context, Backend backend, HttpResponseMessage upstream, CancellationToken cancellationToken)
    {
        var failed = false;
        using (upstream)
        {
            var response = context.Response;
            var status = (int)upstream.StatusCode;
            response.StatusCode = status;
            if (upstream.ReasonPhrase is { } phrase && phrase != ReasonPhrases.GetReasonPhrase(status))
            {
                context.Features.GetRequiredFeature<IHttpResponseFeature>().ReasonPhrase = phrase;
            }

            var namedInConnection = upstream.Headers.NonValidated.TryGetValues("Connection", out var connection)
                ? HopByHopHeaders.NamedIn(ToStringValues(connection))
                : null;
            CopyResponseHeaders(upstream.Headers.NonValidated, response.Headers, namedInConnection);
            CopyResponseHeaders(upstream.Content.Headers.NonValidated, response.Headers, namedInConnection);

            if (status is StatusCodes.Status204NoContent or < 200)
            {
                // RFC 9110 §8.6: no Content-Length on 1xx and 204.
                response.Headers.ContentLength = null;
            }

            if (HttpMethods.IsHead(context.Request.Method) || status is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified)
            {
                backend.OnAttemptEnded(failed: false);
                return;
            }

            var body = await upstream.Content.ReadAsStreamAsync(cancellationToken);
            var writer = response.BodyWriter;
            long copied = 0;
            while (true)
            {
                int read;
                try
                {
                    // Small bodies read straight into Kestrel's own pipe block (4 KiB): asking
                    // every response for 16 KiB made each connection hold a larger buffer (peak
                    // RSS 50 → 34 MB at 50 connections). Large bodies, once past 64 KiB, read
                    // 16 KiB at a time: four times fewer reads (1 MiB responses: 1.0× → 1.4× nginx).
                    read = await body.ReadAsync(writer.GetMemory(copied < LargeBody ? 0 : LargeReadSize), cancellationToken);
                }
                catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
                {
                    // The backend failed mid-body. Before anything reached the client that is a 502;
                    // after, the client can only learn through a cut connection (WriteAsync aborts).
                    // Never end the body as if it were complete.
                    failed = true;
                    UpstreamBodyFailed(logger, backend.Prefix, e.Message);
                    await ProxyError.BackendFailed.WriteAsync(context);
                    break;
                }
                catch (Exception)
                {
                    context.Abort();
                    break;
                }

                if (read == 0)
                {
                    break;
                }

                writer.Advance(read);
                copied += read;
                var flush = await writer.FlushAsync(cancellationToken);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }

        backend.OnAttemptEnded(failed);
    }

    private static string? RequestTarget(HttpContext context)
    {
        var raw = context.Features.GetRequiredFeature<IHttpRequestFeature>().RawTarget;
        if (raw.Length > 0 && raw[0] == '/')
        {
            // Origin form: forwarded byte for byte, without decoding or re-encoding.
            return raw;
        }

        if (raw == "*")
        {
            return null;
        }

        // Absolute form ("GET http://elsewhere/path"): only its path and query are kept, so a
        // request target can never steer the proxy to a host other than a configured backend.
        var request = context.Request;
        var path = request.Path.ToUriComponent();
        return (path.Length == 0 ? "/" : path) + request.QueryString.ToUriComponent();
    }

    private static bool HasBody(HttpRequest request) =>
        request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
        || request.ContentLength is not null;

    internal static HttpRequestMessage BuildRequest(HttpContext context, Backend backend, string target, RequestBodyContent? content)
    {
        var incoming = context.Request;
        var request = new HttpRequestMessage(HttpMethod.Parse(incoming.Method), new Uri(backend.Prefix + target, in s_verbatim))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
            Content = content,
        };

        // A retry reuses the body content, whose headers were filled by the first attempt.
        var contentHeaders = content is { HeadersCopied: false } ? content.Headers : null;
        var headers = incoming.Headers;
        var namedInConnection = headers.Connection.Count == 0 ? null : HopByHopHeaders.NamedIn(headers.Connection);
        foreach (var header in headers)
        {
            var name = header.Key;
            if (HopByHopHeaders.IsHopByHop(name, namedInConnection)
                || name.Equals("Host", StringComparison.OrdinalIgnoreCase)
                || name.Equals("X-Forwarded-For", StringComparison.OrdinalIgnoreCase)
                || name.Equals("X-Forwarded-Proto", StringComparison.OrdinalIgnoreCase)
                || name.Equals("X-Forwarded-Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            AddRequestHeader(request, contentHeaders, name, header.Value);
        }

        // The backend sees its own address as Host (as nginx's proxy_pass does by default); the
        // client's Host, scheme and address travel in the de-facto standard X-Forwarded-* headers.
        var client = ClientAddress(context.Connection.RemoteIpAddress);
        var forwardedFor = headers["X-Forwarded-For"];
        AddRequestHeader(request, null, "X-Forwarded-For", forwardedFor.Count == 0 ? client : string.Join(", ", forwardedFor.ToArray()) + ", " + client);
        AddRequestHeader(request, null, "X-Forwarded-Proto", incoming.Scheme);
        if (incoming.Host.HasValue)
        {
            AddRequestHeader(request, null, "X-Forwarded-Host", incoming.Host.Value);
        }

        if (content is not null)
        {
            content.HeadersCopied = true;
        }

        return request;
    }

    private static void AddRequestHeader(HttpRequestMessage request, HttpContentHeaders? contentHeaders, string name, StringValues values)
    {
        // Content headers (Content-Type, Content-Length, ...) are refused by the request's own
        // collection and belong to the content, when there is one.
        if (values.Count == 1)
        {
            var value = values.ToString();
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                contentHeaders?.TryAddWithoutValidation(name, value);
            }

            return;
        }

        var list = values.ToArray();
        if (!request.Headers.TryAddWithoutValidation(name, list))
        {
            contentHeaders?.TryAddWithoutValidation(name, list);
        }
    }

    private static void CopyResponseHeaders(HttpHeadersNonValidated source, IHeaderDictionary destination, List<string>? namedInConnection)
    {
        foreach (var header in source)
        {
            if (HopByHopHeaders.IsHopByHop(header.Key, namedInConnection))
            {
                continue;
            }

            // Append keeps repeated headers (several Set-Cookie) as separate lines.
            destination.Append(header.Key, ToStringValues(header.Value));
        }
    }

    private static StringValues ToStringValues(HeaderStringValues values)
    {
        if (values.Count == 1)
        {
            foreach (var value in values)
            {
                return value;
            }
        }

        var array = new string[values.Count];
        var i = 0;
        foreach (var value in values)
        {
            array[i++] = value;
        }

        return array;
    }

    private static string ClientAddress(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    private static bool CanRetry(FailureKind kind, string method, RequestBodyContent? content) => kind switch
    {
        FailureKind.NotDelivered => content is null || !content.Started,
        FailureKind.NoResponse => IsIdempotent(method) && (content is null || !content.Started),
        _ => false,
    };

    // RFC 9110 §9.2.2.
    private static bool IsIdempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsTrace(method) || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method);

    private static Failure Classify(Exception exception, UpstreamCancellation cancellation, RequestBodyContent? content)
    {
        if (cancellation.ClientAborted)
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
            // SocketsHttpHandler reports its ConnectTimeout as a cancellation caused by a
            // TimeoutException; our own response timer cancels the token we passed.
            if (cancellation.TimedOut)
            {
                return new(FailureKind.Timeout, null);
            }

            if (exception.InnerException is TimeoutException)
            {
                return new(FailureKind.NotDelivered, ProxyError.ConnectFailed);
            }

            return new(FailureKind.NoResponse, ProxyError.BackendFailed);
        }

        if (exception is HttpRequestException http)
        {
            return http.HttpRequestError switch
            {
                HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError
                    when !IsAfterConnect(http) => new(FailureKind.NotDelivered, ProxyError.ConnectFailed),
                HttpRequestError.ResponseEnded => new(FailureKind.NoResponse, ProxyError.BackendClosed),
                HttpRequestError.InvalidResponse => new(FailureKind.NoResponse, ProxyError.BackendInvalid),
                _ => new(FailureKind.NoResponse, ProxyError.BackendFailed),
            };
        }

        return new(FailureKind.NoResponse, ProxyError.BackendFailed);
    }

    // ConnectionError also covers a connection that broke after it was made; only a socket error
    // from the connect itself proves that nothing was sent.
    private static bool IsAfterConnect(HttpRequestException exception) =>
        exception.InnerException is not SocketException && exception.InnerException?.InnerException is not SocketException
        && exception.InnerException is not null && exception.InnerException is not TimeoutException;

    private enum FailureKind
    {
        ClientGone,
        BadRequest,
        NotDelivered,
        NoResponse,
        Timeout,
    }

    private readonly record struct Failure(FailureKind Kind, ProxyError? Error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Backend {Backend} failed ({Kind}): {Message}")]
    private static partial void UpstreamFailed(ILogger logger, string backend, FailureKind kind, string message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Backend {Backend} failed while sending the response body: {Message}")]
    private static partial void UpstreamBodyFailed(ILogger logger, string backend, string message);
}
