using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace RoundRobinLab.Proxy.Tests.Support;

/// <summary>What a test backend received.</summary>
internal sealed record ReceivedRequest(string Method, string RawTarget, IReadOnlyDictionary<string, string[]> Headers, long BodyLength);

/// <summary>
/// A real Kestrel server on a free loopback port. By default it reads the whole body and answers
/// 200 with its id in X-Backend-Id and as the body; a test can replace the handler.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(string id, RequestDelegate? handler, int port)
    {
        Id = id;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Limits.MaxRequestBodySize = null;
        });
        _app = builder.Build();
        // WebSocket handshakes for the handlers that accept them (context.WebSockets).
        _app.UseWebSockets();
        Handler = handler ?? Identify;
        _app.Run(async context =>
        {
            var feature = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!;
            IReadOnlyDictionary<string, string[]> headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.Select(v => v ?? "").ToArray(), StringComparer.OrdinalIgnoreCase);
            context.Items["received-headers"] = headers;
            context.Response.Headers["X-Backend-Id"] = Id;
            await Handler(context);
            Received.Enqueue(new ReceivedRequest(context.Request.Method, feature.RawTarget, headers, context.Items["body-length"] as long? ?? -1));
        });
    }

    public string Id { get; }

    public RequestDelegate Handler { get; set; }

    public ConcurrentQueue<ReceivedRequest> Received { get; } = new();

    public Uri Address => new(_app.Urls.First());

    /// <summary>Starts on a free port, or on <paramref name="port"/> to play a backend that came back.</summary>
    public static async Task<TestBackend> StartAsync(string id, RequestDelegate? handler = null, int port = 0)
    {
        var backend = new TestBackend(id, handler, port);
        await backend._app.StartAsync();
        return backend;
    }

    /// <summary>Reads the body (counting it) and answers with the backend's id.</summary>
    public async Task Identify(HttpContext context)
    {
        await ReadBodyAsync(context);
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(Id);
    }

    public static async Task<long> ReadBodyAsync(HttpContext context)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        context.Items["body-length"] = total;
        return total;
    }

    public Task StopAsync() => _app.StopAsync();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
