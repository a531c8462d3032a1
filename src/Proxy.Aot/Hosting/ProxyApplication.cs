using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Abstractions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace RoundRobinLab.Proxy.Hosting;

/// <summary>
/// What Kestrel runs for each request, without the generic host between them: one
/// <see cref="HttpContext"/> per connection, reset between its requests (as hosting's own
/// context factory does), and the request handed to one delegate. Hosting's per-request
/// diagnostics, activities and service scopes are what this leaves out; the proxy uses none.
/// </summary>
internal sealed class ProxyApplication(RequestDelegate handler) : IHttpApplication<DefaultHttpContext>
{
    public DefaultHttpContext CreateContext(IFeatureCollection contextFeatures)
    {
        // Kestrel's HTTP/1.1 connection carries a slot for the context between its requests.
        if (contextFeatures is IHostContextContainer<DefaultHttpContext> container)
        {
            if (container.HostContext is { } reused)
            {
                reused.Initialize(contextFeatures);
                return reused;
            }

            return container.HostContext = new DefaultHttpContext(contextFeatures);
        }

        return new DefaultHttpContext(contextFeatures);
    }

    public Task ProcessRequestAsync(DefaultHttpContext context) => handler(context);

    public void DisposeContext(DefaultHttpContext context, Exception? exception) => context.Uninitialize();
}
