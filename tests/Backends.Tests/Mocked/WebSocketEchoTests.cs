using System.Net.WebSockets;
using System.Text;
using RoundRobinLab.Backends.Tests.Fleet;

namespace RoundRobinLab.Backends.Tests.Mocked;

public sealed class WebSocketEchoTests
{
    private static readonly HttpClient s_client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Ws_EchoesTextTaggedWithTheBackendId_AndBinaryAsSent_CountingOneRequest()
    {
        await using var fleet = await BackendFleetTests.StartAsync(count: 1);
        var backend = fleet.Backends[0];
        using var socket = new ClientWebSocket();

        await socket.ConnectAsync(new UriBuilder(backend.Url) { Scheme = "ws", Path = "/ws" }.Uri, CancellationToken.None);
        await socket.SendAsync("hi"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[1024];
        var text = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
        var tagged = Encoding.UTF8.GetString(buffer, 0, text.Count);
        await socket.SendAsync(new byte[] { 0, 1, 2, 255 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var binary = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        tagged.ShouldBe($"{backend.Id}:hi");
        buffer[..binary.Count].ShouldBe(new byte[] { 0, 1, 2, 255 });
        backend.WebSocketSessions.ShouldBe(1);
        backend.Received.ShouldBe(1);
    }

    [Fact]
    public async Task Healthz_AnswersTheProfilesHealthStatus_Uncounted()
    {
        await using var fleet = await BackendFleetTests.StartAsync(count: 1);
        var backend = fleet.Backends[0];
        backend.Profile = backend.Profile with { HealthStatus = 503 };

        using var response = await s_client.GetAsync(new Uri(backend.Url, "/healthz"));

        ((int)response.StatusCode).ShouldBe(503);
        backend.Received.ShouldBe(0);
    }
}
