using Microsoft.AspNetCore.Builder;
using RoundRobinLab.Backends.Fleet;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace RoundRobinLab.Backends.Mocked;

/// <summary>
/// One incarnation of a WireMock backend: any method and path get the identity response, the
/// admin API is on (/__admin), and <see cref="Misbehaviour"/> runs in front of WireMock.
/// </summary>
internal sealed class WireMockBackendServer : IBackendServer
{
    // Mappings added through the admin API get priority 0 by default and so win over this one.
    private const int DefaultMappingPriority = 1000;

    private WireMockBackendServer(WireMockServer server) => Server = server;

    public WireMockServer Server { get; }

    public int Port => Server.Port;

    public long Received => Server.LogEntries.Count;

    public static WireMockBackendServer Start(FakeBackend backend)
    {
        var settings = new WireMockServerSettings
        {
            Urls = [$"http://127.0.0.1:{backend.Port}"],
            StartAdminInterface = true,
            AllowBodyForAllHttpMethods = true,
            DisableRequestBodyDecompressing = true,
            // The log keeps requests (the backend-side truth), not the responses we generated.
            DoNotSaveDynamicResponseInLogEntry = true,
            PreWireMockMiddlewareInit = app => ((IApplicationBuilder)app).Use(new Misbehaviour(backend).InvokeAsync),
        };
        var server = WireMockServer.Start(settings);
        server
            .Given(Request.Create().UsingAnyMethod())
            .AtPriority(DefaultMappingPriority)
            .RespondWith(Response.Create().WithCallback(request => IdentityResponse.Create(backend, request)));
        return new WireMockBackendServer(server);
    }

    public ValueTask DisposeAsync()
    {
        Server.Stop();
        Server.Dispose();
        return ValueTask.CompletedTask;
    }
}
