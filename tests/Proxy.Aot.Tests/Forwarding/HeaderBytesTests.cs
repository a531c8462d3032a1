using System.Text;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Forwarding;

/// <summary>
/// Header bytes real backends and clients send: obs-text passes byte for byte (Latin-1 both
/// ways), what cannot be relayed is a 502 and never a 500, and what must not reach a backend is
/// a 400 before any backend is chosen.
/// </summary>
public sealed class HeaderBytesTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    [Fact]
    public async Task Forward_ResponseHeaderWithUtf8Bytes_ReachesTheClientByteForByte()
    {
        // "café" as UTF-8 on the wire: c3 a9, written here as the Latin-1 chars of those bytes.
        var utf8Name = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("café.txt"));
        await using var backend = RawBackend.Answering($"HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"{utf8Name}\"\r\nContent-Length: 2\r\n\r\nok");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await using var client = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await client.SendAsync("GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
        var response = await client.ReadResponseAsync();

        response.ShouldNotBeNull();
        response.ShouldStartWith("HTTP/1.1 200");
        response.ShouldContain($"Content-Disposition: attachment; filename=\"{utf8Name}\"\r\n");
        response.ShouldEndWith("ok");
    }

    [Theory]
    [InlineData("X-Bad: a\u0001b")]
    [InlineData("X-Bad: a\u007Fb")]
    public async Task Forward_ResponseHeaderWithAControlByte_Gives502WithAReason_Not500(string header)
    {
        await using var backend = RawBackend.Answering($"HTTP/1.1 200 OK\r\n{header}\r\nContent-Length: 2\r\n\r\nok");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        using var response = await proxy.Client.GetAsync("/");

        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.BadGateway);
        (await response.Content.ReadAsStringAsync()).ShouldStartWith("502 Bad Gateway: the backend sent ");
    }

    [Fact]
    public async Task Forward_ClientHeaderWithUtf8Bytes_ReachesTheBackendByteForByte_AndBlamesNoBackend()
    {
        var utf8Value = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("José ✓"));
        await using var backend = RawBackend.Answering(Ok);
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await using var client = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await client.SendAsync($"GET / HTTP/1.1\r\nHost: x\r\nX-Name: {utf8Value}\r\n\r\n");
        var response = await client.ReadResponseAsync();

        response.ShouldNotBeNull();
        response.ShouldStartWith("HTTP/1.1 200");
        backend.Heads.Single().ShouldContain($"\r\nX-Name: {utf8Value}\r\n");
        proxy.Host.Pool.All[0].Failures.ShouldBe(0);
    }

    [Theory]
    [InlineData("Bad[Name]: x", "header name")]
    [InlineData("Bad Name: x", null)] // refused by Kestrel itself, with a 400 and no body
    [InlineData("X-Ctl: a\u0001b", "control character")]
    [InlineData("X-Del: a\u007Fb", "control character")]
    public async Task Forward_MalformedRequestHeader_Gives400BeforeAnyBackendIsChosen(string header, string? reason)
    {
        await using var backend = RawBackend.Answering(Ok);
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await using var client = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await client.SendAsync($"POST / HTTP/1.1\r\nHost: x\r\n{header}\r\nConnection: close\r\n\r\n");
        var response = await client.ReadToEndAsync();

        response.ShouldStartWith("HTTP/1.1 400");
        if (reason is not null)
        {
            response.ShouldContain(reason);
        }

        backend.Accepted.ShouldBe(0);
        proxy.Host.Pool.All[0].Requests.ShouldBe(0);
    }

    [Fact]
    public async Task Forward_GetAsterisk_IsRefusedByKestrelWith405_AndReachesNoBackend()
    {
        // Kestrel answers asterisk-form with any method but OPTIONS itself, before the proxy sees it.
        await using var backend = RawBackend.Answering(Ok);
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await using var client = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await client.SendAsync("GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var response = await client.ReadToEndAsync();

        response.ShouldStartWith("HTTP/1.1 405");
        backend.Accepted.ShouldBe(0);
    }

    [Theory]
    [InlineData("+5", "hello")]
    [InlineData("-0", "")]
    public async Task Forward_SignedContentLength_ReachesTheBackendAsPlainDigitsWithThatManyBytes(string contentLength, string body)
    {
        // Kestrel reads "+5" as 5 and keeps only the number (the raw text is gone before the
        // proxy sees the request), so the backend gets the same framing Kestrel used.
        await using var backend = RawBackend.Start(async connection =>
        {
            var head = await connection.ReadHeadAsync();
            var received = await connection.ReadBodyAsync(body.Length);
            await connection.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Length: {received.Length}\r\n\r\n{Encoding.Latin1.GetString(received)}");
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await using var client = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await client.SendAsync($"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {contentLength}\r\n\r\n{body}");
        var response = await client.ReadResponseAsync();

        response.ShouldNotBeNull();
        response.ShouldStartWith("HTTP/1.1 200");
        response.ShouldEndWith(body);
        backend.Heads.Single().ShouldContain($"\r\nContent-Length: {body.Length}\r\n");
    }

    [Fact]
    public async Task Forward_OptionsAsterisk_Answers200WithAllow()
    {
        await using var backend = RawBackend.Answering(Ok);
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await using var client = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await client.SendAsync("OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var response = await client.ReadToEndAsync();

        response.ShouldStartWith("HTTP/1.1 200");
        response.ShouldContain("Allow: GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE\r\n");
        backend.Accepted.ShouldBe(0);
    }
}
