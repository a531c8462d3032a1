using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Forwarding;

/// <summary>Framing real backends get wrong, and early answers while the request body still streams.</summary>
public sealed class BodyRelayTests
{
    [Fact]
    public async Task Forward_ResponseWithContentLengthAndChunked_RelaysTheDechunkedBody()
    {
        await using var backend = RawBackend.Answering("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        using var response = await proxy.Client.GetAsync("/");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).ShouldBe("hello world");
    }

    [Fact]
    public async Task Forward_UnaskedSwitchingProtocols_Gives502()
    {
        await using var backend = RawBackend.Answering("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await using var client = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var response = await client.ReadToEndAsync();

        response.ShouldStartWith("HTTP/1.1 502");
        response.ShouldContain("switched protocols");
        response.ShouldNotContain("Upgrade: websocket");
    }

    [Fact]
    public async Task Forward_Expect100AndABackendThatClosesEarly_KeepsTheClientConnectionUsable()
    {
        // The backend says 100 Continue and hangs up. The proxy has begun reading the client's
        // body for it (so the client got its 100 too), but the client has sent nothing yet when
        // the proxy answers 502. That pending read must be stopped before the request ends, or
        // Kestrel cannot drain the body and the client's kept-alive connection is lost.
        await using var backend = RawBackend.Start(async connection =>
        {
            while (await connection.ReadHeadAsync() is { } head)
            {
                if (head.StartsWith("POST", StringComparison.Ordinal))
                {
                    await connection.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n");
                    return;
                }

                await connection.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await using var client = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await client.SendAsync("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
        (await client.ReadResponseAsync()).ShouldStartWith("HTTP/1.1 100");
        var answer = await client.ReadResponseAsync();

        answer.ShouldNotBeNull();
        answer.ShouldStartWith("HTTP/1.1 502");
        // The body the client announced, late, then its next request on the same connection.
        await client.SendAsync("bodyGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        var second = await client.ReadResponseAsync();
        second.ShouldNotBeNull($"the proxy dropped the kept-alive connection after {answer}; logs: {string.Join(" / ", proxy.Logs.Entries.Select(e => e.Message))}");
        second.ShouldStartWith("HTTP/1.1 200");
        proxy.Logs.Entries.ShouldNotContain(e => e.Level >= LogLevel.Warning && e.Category.StartsWith("Microsoft", StringComparison.Ordinal));
        await Eventually.HoldsAsync(() => proxy.Host.Pool.All[0].InFlight == 0);
    }

    [Fact]
    public async Task Forward_BackendAnswersWithoutReadingTheBody_ThenTheConnectionCarriesTheNextRequest()
    {
        // A backend that refuses an upload at once (413) without reading it.
        await using var backend = RawBackend.Start(async connection =>
        {
            while (await connection.ReadHeadAsync() is { } head)
            {
                if (head.StartsWith("POST", StringComparison.Ordinal))
                {
                    await connection.WriteAsync("HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }

                await connection.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await using var client = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await client.SendAsync("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n0123456789");
        await client.SendAsync(Encoding.Latin1.GetBytes("0123456789"));
        var answer = await client.ReadResponseAsync();
        answer.ShouldNotBeNull();
        answer.ShouldStartWith("HTTP/1.1 413");

        // The backend's Connection: close is hop-by-hop: the client's connection stays open.
        answer.ShouldNotContain("Connection: close", Case.Insensitive);
        await client.SendAsync("GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        var next = await client.ReadResponseAsync();
        next.ShouldNotBeNull("the proxy dropped the kept-alive connection");
        next.ShouldStartWith("HTTP/1.1 200");

        proxy.Logs.Entries.ShouldNotContain(e => e.Level >= LogLevel.Warning && e.Category.StartsWith("Microsoft", StringComparison.Ordinal));
    }
}
