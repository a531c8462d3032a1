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
            Urls = [$"http://{(backend.ListenOnAllInterfaces ? "0.0.0.0" : "127.0.0.1")}:{backend.Port}"],
            StartAdminInterface = true,
            AllowBodyForAllHttpMethods = true,
            DisableRequestBodyDecompressing = true,
            // The log keeps requests (the backend-side truth), not the responses we generated.
            DoNotSaveDynamicResponseInLogEntry = true,
            PreWireMockMiddlewareInit = app => ((IApplicationBuilder)app).UseWebSockets().Use(new Misbehaviour(backend).InvokeAsync),
        };
        var server = WireMockServer.Start(settings);
        server
            .Given(Request.Create().UsingAnyMethod())
            .AtPriority(DefaultMappingPriority)
            .RespondWith(Response.Create().WithCallback(request => IdentityResponse.Create(backend, request)));
        return new WireMockBackendServer(server);
    }

    public async ValueTask DisposeAsync()
    {
        var port = Port;
        Server.Stop();
        Server.Dispose();

        // WireMock stops its Kestrel host without waiting for it, so the port can accept for a
        // moment longer. "Down" means refusing connections, so wait (at most 5 s) until it does.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline && await AcceptsConnectionsAsync(port))
        {
            await Task.Delay(10);
        }
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
