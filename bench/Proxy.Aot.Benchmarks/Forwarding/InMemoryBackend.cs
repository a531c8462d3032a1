using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace RoundRobinLab.Proxy.Benchmarks.Forwarding;

/// <summary>
/// A backend inside the process: answers every request with the same response, so a benchmark
/// measures the proxy's own work and not a network. Its own allocations (the response message
/// and content) are part of every forwarded request's count; the baseline benchmark shows them.
/// </summary>
internal sealed class InMemoryBackend(byte[] body) : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is not null)
        {
            await request.Content.CopyToAsync(Stream.Null, cancellationToken);
        }

        return Respond();
    }

    public HttpResponseMessage Respond()
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) };
        response.Headers.TryAddWithoutValidation("X-Backend-Id", "b1");
        response.Headers.TryAddWithoutValidation("Cache-Control", "no-store");
        response.Content.Headers.TryAddWithoutValidation("Content-Type", "text/plain");
        return response;
    }

    /// <summary>A request as Kestrel would hand it over: typical browser-ish headers, an origin-form target.</summary>
    public static DefaultHttpContext Request(string method = "GET", byte[]? body = null)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = "http";
        request.Host = new HostString("proxy.example:8080");
        request.Path = "/api/items/42";
        request.QueryString = new QueryString("?view=full");
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = "/api/items/42?view=full";
        request.Headers.Accept = "application/json";
        request.Headers.AcceptEncoding = "gzip, deflate, br";
        request.Headers.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) benchmark";
        request.Headers.Cookie = "session=abc123; theme=dark";
        request.Headers.Authorization = "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig";
        request.Headers["X-Request-Id"] = "7f1c2d9e";
        request.Headers.Connection = "keep-alive";
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        if (body is not null)
        {
            request.ContentLength = body.Length;
            request.Body = new MemoryStream(body, writable: false);
        }

        context.Response.Body = Stream.Null;
        return context;
    }
}
