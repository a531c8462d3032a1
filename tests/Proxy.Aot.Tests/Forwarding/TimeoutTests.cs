using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Forwarding;

/// <summary>
/// Each timeout covers its own span: --response-timeout from the end of the request to the
/// response headers, --idle-timeout while a body streams either way.
/// </summary>
public sealed class TimeoutTests
{
    [Fact]
    public async Task Forward_SlowUploadLongerThanTheResponseTimeout_IsDeliveredWhole()
    {
        // 1,200 bytes at about 600 B/s take 2 s, twice the response timeout: the upload is not
        // the backend being slow to answer.
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address], s => s with { ResponseTimeout = TimeSpan.FromSeconds(1) });
        var parts = Enumerable.Range(0, 12).Select(_ => new byte[100]).ToArray();

        using var response = await proxy.Client.PostAsync("/upload", new TricklingContent(parts, TimeSpan.FromMilliseconds(170)));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        backend.Received.Single().BodyLength.ShouldBe(1200);
    }

    [Fact]
    public async Task Forward_BackendStallsMidBody_CutsTheClientAfterTheIdleTimeout()
    {
        await using var backend = RawBackend.Start(async connection =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + new string('x', 100));
            await connection.WaitForCloseAsync();
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address], s => s with { IdleTimeout = TimeSpan.FromMilliseconds(500) });

        using var response = await proxy.Client.GetAsync("/stall", HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        await using var body = await response.Content.ReadAsStreamAsync();
        var clock = Stopwatch.StartNew();

        await Should.ThrowAsync<IOException>(() => body.CopyToAsync(Stream.Null));

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
        await Eventually.HoldsAsync(() => proxy.Host.Pool.All[0].Failures == 1 && proxy.Host.Pool.All[0].InFlight == 0);
    }

    [Fact]
    public async Task Forward_BackendSendsHeadersThenNothing_Gives504()
    {
        await using var backend = RawBackend.Start(async connection =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
            await connection.WaitForCloseAsync();
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address], s => s with { IdleTimeout = TimeSpan.FromMilliseconds(500) });

        using var response = await proxy.Client.GetAsync("/quiet");

        response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
        (await response.Content.ReadAsStringAsync()).ShouldBe("504 Gateway Timeout: the backend sent response headers, then nothing for 0.5s.\n");
    }

    [Fact]
    public async Task Forward_BackendStopsReadingTheUpload_Gives504AfterTheIdleTimeout()
    {
        // The backend reads the head and then nothing: once the socket buffers are full, no byte
        // moves, and the idle timeout (not the long response timeout) ends the wait.
        await using var backend = RawBackend.Start(async connection =>
        {
            await connection.ReadHeadAsync();
            await connection.HoldAsync();
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address], s => s with { IdleTimeout = TimeSpan.FromMilliseconds(500) });
        await using var client = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await client.SendAsync("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        // 64 MiB in 1 MiB chunks, more than loopback buffers hold; stop sending once answered.
        var answer = client.ReadUntilAsync("\r\n\r\n");
        var chunk = System.Text.Encoding.Latin1.GetBytes($"100000\r\n{new string('u', 0x100000)}\r\n");
        for (var i = 0; i < 64 && !answer.IsCompleted; i++)
        {
            var send = client.SendAsync(chunk);
            await Task.WhenAny(send, answer);
        }

        var response = await answer;
        response.ShouldStartWith("HTTP/1.1 504");
        proxy.Host.Pool.All[0].Failures.ShouldBe(1);
    }

    /// <summary>A body sent in parts, with a pause before each part after the first.</summary>
    private sealed class TricklingContent(byte[][] parts, TimeSpan pause) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var i = 0; i < parts.Length; i++)
            {
                if (i > 0)
                {
                    await Task.Delay(pause);
                }

                await stream.WriteAsync(parts[i]);
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = parts.Sum(p => p.Length);
            return true;
        }
    }
}
