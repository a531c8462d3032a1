using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Proxy.Balancing;

namespace RoundRobinLab.Proxy.Admin;

/// <summary>
/// The admin listener's endpoints. They live on their own listener (127.0.0.1:9901 by default),
/// never on the proxied port, so no client request can reach them and no backend path is shadowed.
/// A table of paths rather than ASP.NET routing: routing needs the generic host and its service
/// container, which doubled the time to the first proxied response and added 3 MB to the binary
/// (issue 10); a handful of fixed paths need no more than a switch.
/// </summary>
internal sealed partial class AdminEndpoints(BackendPool pool, AdminAccess access, ILogger<AdminEndpoints> logger) : IHttpApplication<HttpContext>
{
    private const string Text = "text/plain; charset=utf-8";

    /// <summary>The methods each path answers (for 405's Allow); the order of the 404's list.</summary>
    private static readonly (string Path, string Methods)[] s_routes =
    [
        ("/healthz", "GET"), ("/stats", "GET"), ("/metrics", "GET"), ("/backends", "GET, PUT"), ("/backends/drain", "POST"), ("/backends/undrain", "POST"),
    ];

    public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

    public void DisposeContext(HttpContext context, Exception? exception)
    {
    }

    public Task ProcessRequestAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var route = path.ToLowerInvariant();
        Func<HttpContext, Task>? endpoint = (route, context.Request.Method) switch
        {
            // 200 while at least one backend is in rotation, 503 when none is: what a load
            // balancer in front of this proxy wants to know.
            ("/healthz", "GET") => HealthzAsync,
            ("/stats", "GET") => StatsAsync,
            ("/metrics", "GET") => MetricsAsync,
            ("/backends", "GET") => BackendsAsync,
            ("/backends", "PUT") => ReplaceAsync,
            ("/backends/drain", "POST") => DrainAsync,
            ("/backends/undrain", "POST") => UndrainAsync,
            _ => null,
        };

        if (endpoint is not null)
        {
            return endpoint(context);
        }

        foreach (var (known, methods) in s_routes)
        {
            if (known == route)
            {
                context.Response.Headers.Allow = methods;
                return WriteAsync(context.Response, StatusCodes.Status405MethodNotAllowed, Text, $"{path} answers {methods} only\n");
            }
        }

        return WriteAsync(context.Response, StatusCodes.Status404NotFound, Text, $"no admin endpoint at {path}; there are /healthz, /stats, /metrics and /backends\n");
    }

    private Task HealthzAsync(HttpContext context) => pool.HealthyCount > 0
        ? WriteAsync(context.Response, StatusCodes.Status200OK, Text, "ok\n")
        : WriteAsync(context.Response, StatusCodes.Status503ServiceUnavailable, Text, "no backend in rotation\n");

    private Task StatsAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(context.Response.Body, Snapshot(pool), AdminJsonContext.Default.StatsResponse, context.RequestAborted);
    }

    private Task MetricsAsync(HttpContext context) =>
        WriteAsync(context.Response, StatusCodes.Status200OK, "text/plain; version=0.0.4; charset=utf-8", Prometheus(pool));

    private static Task WriteAsync(HttpResponse response, int status, string contentType, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = bytes.Length;
        return response.Body.WriteAsync(bytes).AsTask();
    }

    internal static StatsResponse Snapshot(BackendPool pool)
    {
        var backends = new BackendStats[pool.All.Count];
        for (var i = 0; i < backends.Length; i++)
        {
            var backend = pool.All[i];
            backends[i] = new BackendStats(backend.Prefix, backend.Healthy, backend.Requests, backend.Failures, backend.InFlight, backend.Ejections, backend.Weight,
                backend.State, backend.Readmissions, backend.Retries, backend.HealthChecksPassed, backend.HealthChecksFailed);
        }

        return new StatsResponse(pool.HealthyCount, backends.Length, backends);
    }

    /// <summary>Prometheus text exposition format 0.0.4.</summary>
    internal static string Prometheus(BackendPool pool)
    {
        var text = new StringBuilder();
        Family(text, pool, "rrproxy_backend_requests_total", "counter", "Requests sent to the backend, retries included.", b => b.Requests);
        Family(text, pool, "rrproxy_backend_failures_total", "counter", "Requests to the backend that failed through its fault: no connection, no response, a timeout or a broken response body.", b => b.Failures);
        Family(text, pool, "rrproxy_backend_in_flight", "gauge", "Requests to the backend not finished yet.", b => b.InFlight);
        Family(text, pool, "rrproxy_backend_ejections_total", "counter", "Times the backend was taken out of rotation.", b => b.Ejections);
        Family(text, pool, "rrproxy_backend_healthy", "gauge", "1 while the backend is in rotation, 0 while it is ejected.", b => b.Healthy ? 1 : 0);
        Family(text, pool, "rrproxy_backend_readmissions_total", "counter", "Times the backend came back into rotation after an ejection.", b => b.Readmissions);
        Family(text, pool, "rrproxy_backend_retries_total", "counter", "Requests sent to the backend as a retry, after another backend failed them.", b => b.Retries);
        Family(text, pool, "rrproxy_backend_health_checks_passed_total", "counter", "Active health checks the backend passed.", b => b.HealthChecksPassed);
        Family(text, pool, "rrproxy_backend_health_checks_failed_total", "counter", "Active health checks the backend failed.", b => b.HealthChecksFailed);
        Family(text, pool, "rrproxy_backend_in_rotation", "gauge", "1 while the backend takes new requests: healthy by passive and active checks, not drained.", b => b.State is "active" or "slow-start" ? 1 : 0);
        Family(text, pool, "rrproxy_backend_weight", "gauge", "The backend's configured weight: its turns in one cycle of the rotation.", b => b.Weight);
        Family(text, pool, "rrproxy_backend_idle_connections", "gauge", "Kept-alive connections to the backend waiting for a request.", b => b.Connections.IdleCount);
        // The process's own: what a request costs in memory (allocated bytes over requests) and
        // how often that cost is collected.
        Single(text, "rrproxy_process_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since start.", GC.GetTotalAllocatedBytes());
        Single(text, "rrproxy_process_gc_collections_total", "counter", "Garbage collections since start (all generations).", GC.CollectionCount(0));
        Single(text, "rrproxy_process_managed_heap_bytes", "gauge", "Managed heap size after the last collection.", GC.GetGCMemoryInfo().HeapSizeBytes);
        return text.ToString();
    }

    private static void Single(StringBuilder text, string name, string type, string help, long value)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        text.Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private static void Family(StringBuilder text, BackendPool pool, string name, string type, string help, Func<Backend, long> value)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (var backend in pool.All)
        {
            // Label values escape backslash, quote and newline; a URL has none of the last two.
            text.Append(name).Append("{backend=\"").Append(backend.Prefix.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal))
                .Append("\"} ").Append(value(backend).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }
}
