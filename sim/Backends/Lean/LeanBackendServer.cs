using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Backends.Fleet;

namespace RoundRobinLab.Backends.Lean;

/// <summary>
/// The lean backend: Kestrel answering every request with its id as header and body, counting
/// requests. No request log, no profile: for throughput experiments, where WireMock's matching
/// and logging would be the bottleneck rather than the proxy.
/// </summary>
internal sealed class LeanBackendServer : IBackendServer
{
    private readonly WebApplication _app;
    private long _received;

    private LeanBackendServer(WebApplication app) => _app = app;

    public long Received => Interlocked.Read(ref _received);

    public int Port => new Uri(_app.Urls.First()).Port;

    public static async Task<LeanBackendServer> StartAsync(FakeBackend backend)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(backend.ListenOnAllInterfaces ? IPAddress.Any : IPAddress.Loopback, backend.Port);
        });
        var app = builder.Build();
        var server = new LeanBackendServer(app);
        var id = backend.Id;
        var body = Encoding.UTF8.GetBytes(id);
        app.Run(async context =>
        {
            if (HttpMethods.IsGet(context.Request.Method) && context.Request.Path.Equals(Mocked.Misbehaviour.HealthPath, StringComparison.Ordinal))
            {
                context.Response.StatusCode = backend.Profile.HealthStatus;
                return;
            }

            Interlocked.Increment(ref server._received);
            // Drain any request body so the connection can be reused.
            if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
            {
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            }

            context.Response.Headers["X-Backend-Id"] = id;
            context.Response.ContentType = "text/plain";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
