using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.WebSockets;

public sealed class WebSocketTunnelTests
{
    /// <summary>A WebSocket echo that tags every message with the backend's id.</summary>
    internal static Task<TestBackend> EchoAsync(string id) => TestBackend.StartAsync(id, async context =>
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await context.Response.WriteAsync(id);
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[1024 * 1024];
        while (true)
        {
            var count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                count += result.Count;
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }

            var reply = result.MessageType == WebSocketMessageType.Text ? Encoding.UTF8.GetBytes($"{id}:{Encoding.UTF8.GetString(buffer, 0, count)}") : buffer[..count];
            await socket.SendAsync(reply, result.MessageType, true, CancellationToken.None);
        }
    });

    private static Uri WebSocketAddress(ProxyUnderTest proxy) => new UriBuilder(proxy.ProxyAddress) { Scheme = "ws" }.Uri;

    private static async Task<(WebSocketMessageType Type, byte[] Bytes)> ReceiveAsync(ClientWebSocket socket)
    {
        var message = new MemoryStream();
        var buffer = new byte[64 * 1024];
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return (result.MessageType, message.ToArray());
    }

    [Fact]
    public async Task Sessions_AreTunnelled_SpreadOnePerTicket_AndEchoedByteForByte()
    {
        await using var b1 = await EchoAsync("b1");
        await using var b2 = await EchoAsync("b2");
        await using var proxy = await ProxyUnderTest.StartAsync([b1.Address, b2.Address]);
        var binary = new byte[200 * 1024];
        Random.Shared.NextBytes(binary);

        var tags = new List<string>();
        for (var session = 0; session < 4; session++)
        {
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(WebSocketAddress(proxy), CancellationToken.None);
            proxy.Host.Pool.All.Sum(b => b.InFlight).ShouldBe(1);

            await socket.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            var text = await ReceiveAsync(socket);
            await socket.SendAsync(binary, WebSocketMessageType.Binary, true, CancellationToken.None);
            var echoed = await ReceiveAsync(socket);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

            var tagged = Encoding.UTF8.GetString(text.Bytes);
            tagged.ShouldEndWith(":hello");
            tags.Add(tagged.Split(':')[0]);
            echoed.Type.ShouldBe(WebSocketMessageType.Binary);
            echoed.Bytes.ShouldBe(binary);
        }

        tags.ShouldBe(["b1", "b2", "b1", "b2"]);
        await Eventually.HoldsAsync(() => proxy.Host.Pool.All.Sum(b => b.InFlight) == 0);
        using var stats = JsonDocument.Parse(await proxy.Admin.GetStringAsync("/stats"));
        stats.RootElement.GetProperty("backends").EnumerateArray().Select(b => b.GetProperty("requests").GetInt64()).ShouldBe([2L, 2L]);
    }

    [Fact]
    public async Task ABackendThatRefusesTheUpgrade_HasItsAnswerRelayed()
    {
        await using var backend = await TestBackend.StartAsync("b1", async context =>
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsync("no sockets here");
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        var (status, rest) = await RawUpgradeAsync(proxy, "websocket");

        status.ShouldBe("HTTP/1.1 403 Forbidden");
        rest.ShouldContain("no sockets here");
        backend.Received.Single().Headers["Upgrade"].ShouldBe(["websocket"]);
    }

    [Fact]
    public async Task AnUpgradeToAnythingButWebSocket_Is400()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        var (status, rest) = await RawUpgradeAsync(proxy, "h2c");

        status.ShouldBe("HTTP/1.1 400 Bad Request");
        rest.ShouldContain("only WebSocket upgrades are forwarded");
        backend.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task ABackendClosingMidSession_ClosesTheClientsConnection()
    {
        await using var backend = await TestBackend.StartAsync("b1", async context =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[16];
            await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            // Gone mid-session, without a close frame.
            context.Abort();
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(WebSocketAddress(proxy), CancellationToken.None);

        await socket.SendAsync("ping"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);

        await Should.ThrowAsync<WebSocketException>(() => ReceiveAsync(socket).WaitAsync(TimeSpan.FromSeconds(10)));
        await Eventually.HoldsAsync(() => proxy.Host.Pool.All[0].InFlight == 0);
    }

    [Fact]
    public async Task AClientClosingMidFrame_ClosesTheBackendsSide()
    {
        var backendDone = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = await TestBackend.StartAsync("b1", async context =>
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            try
            {
                await socket.ReceiveAsync(new byte[1024].AsMemory(), CancellationToken.None);
                backendDone.TrySetResult(null);
            }
            catch (Exception e)
            {
                backendDone.TrySetResult(e);
            }
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(IPAddress.Loopback, proxy.ProxyAddress.Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
            var head = new byte[1024];
            var read = await stream.ReadAsync(head).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Encoding.ASCII.GetString(head, 0, read).ShouldStartWith("HTTP/1.1 101 Switching Protocols");

            // A masked text frame announcing 100 bytes, of which 3 arrive; then the client is gone.
            await stream.WriteAsync(new byte[] { 0x81, 0x80 | 100, 1, 2, 3, 4, (byte)'a', (byte)'b', (byte)'c' });
        }

        // The backend learns of it (its receive fails: the frame never completes) and nothing stays in flight.
        (await backendDone.Task.WaitAsync(TimeSpan.FromSeconds(10))).ShouldNotBeNull();
        await Eventually.HoldsAsync(() => proxy.Host.Pool.All[0].InFlight == 0);
    }

    [Fact]
    public async Task AnIdleTunnel_IsClosedAfterTheIdleTimeout()
    {
        await using var backend = await EchoAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address], s => s with { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(WebSocketAddress(proxy), CancellationToken.None);

        await Should.ThrowAsync<WebSocketException>(() => ReceiveAsync(socket).WaitAsync(TimeSpan.FromSeconds(10)));
        await Eventually.HoldsAsync(() => proxy.Host.Pool.All[0].InFlight == 0);
    }

    [Fact]
    public async Task Stopping_WaitsForAnOpenTunnelUpToTheShutdownTimeout_ThenClosesIt()
    {
        await using var backend = await EchoAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address], s => s with { ShutdownTimeout = TimeSpan.FromMilliseconds(500) });
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(WebSocketAddress(proxy), CancellationToken.None);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var stop = proxy.Host.StopAsync();
        // Still open while the drain waits: an echo comes back.
        await socket.SendAsync("still"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        Encoding.UTF8.GetString((await ReceiveAsync(socket)).Bytes).ShouldBe("b1:still");
        await stop.WaitAsync(TimeSpan.FromSeconds(10));

        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(450));
        await Should.ThrowAsync<WebSocketException>(() => ReceiveAsync(socket).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>An upgrade request on a raw socket: the status line and what followed it.</summary>
    private static async Task<(string Status, string Text)> RawUpgradeAsync(ProxyUnderTest proxy, string protocol)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, proxy.ProxyAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: {protocol}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
        var answer = new StringBuilder();
        var buffer = new byte[4096];
        while (!answer.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            if (read == 0)
            {
                break;
            }

            answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        // The body, if the head said how long it is.
        var text = answer.ToString();
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (text.Contains("Content-Length:", StringComparison.OrdinalIgnoreCase))
        {
            var length = int.Parse(text.Split("Content-Length:", StringSplitOptions.None)[1].Split("\r\n")[0].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            while (Encoding.ASCII.GetByteCount(text) - headEnd - 4 < length)
            {
                var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                if (read == 0)
                {
                    break;
                }

                text += Encoding.ASCII.GetString(buffer, 0, read);
            }
        }

        return (text[..text.IndexOf("\r\n", StringComparison.Ordinal)], text);
    }
}
