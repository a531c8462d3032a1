using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Backends.Control;
using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Backends.Profiles;

namespace RoundRobinLab.Backends.Tests.Control;

/// <summary>A fleet on free loopback ports with its control API beside it, as `lab backends` serves them.</summary>
internal sealed class ControlledFleet : IAsyncDisposable
{
    private readonly WebApplication _control;

    private ControlledFleet(BackendFleet fleet, WebApplication control)
    {
        Fleet = fleet;
        _control = control;
    }

    public BackendFleet Fleet { get; }

    public Uri ControlUrl => new(_control.Urls.First());

    /// <summary>No pooling: a backend that went down and came up gets new connections, as a proxy's would.</summary>
    public static HttpClient Client() =>
        new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<ControlledFleet> StartAsync(int count = 3, ProfileFile? profiles = null, bool networkFaults = false)
    {
        var fleet = await BackendFleet.StartAsync(new FleetOptions { Count = count, BasePort = 0, Profiles = profiles ?? new ProfileFile(), NetworkFaults = networkFaults });
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var control = builder.Build();
            control.MapFleetControl(fleet);
            await control.StartAsync();
            return new ControlledFleet(fleet, control);
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The status code and backend id of a GET to <paramref name="backend"/>'s URL; null when no
    /// backend answers there. A stopped backend's port is free and a test process may reuse it,
    /// so "down" is "not answering as itself", not "connection refused".
    /// </summary>
    public static Task<(HttpStatusCode Status, string? Id)?> GetAsync(HttpClient client, FakeBackend backend, string path = "/") =>
        GetAsync(client, backend.Url, backend, path);

    /// <summary>As <see cref="GetAsync(HttpClient, FakeBackend, string)"/>, through the backend's relay (its <see cref="FakeBackend.ProxyUrl"/>).</summary>
    public static Task<(HttpStatusCode Status, string? Id)?> GetThroughRelayAsync(HttpClient client, FakeBackend backend, string path = "/") =>
        GetAsync(client, backend.ProxyUrl, backend, path);

    private static async Task<(HttpStatusCode Status, string? Id)?> GetAsync(HttpClient client, Uri url, FakeBackend backend, string path)
    {
        try
        {
            using var response = await client.GetAsync(new Uri(url, path));
            var id = response.Headers.TryGetValues("X-Backend-Id", out var ids) ? ids.Single() : null;
            return id == backend.Id ? (response.StatusCode, id) : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _control.DisposeAsync();
        await Fleet.DisposeAsync();
    }
}
