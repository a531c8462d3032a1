using System.Buffers;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Forwarding;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Tests.Upstream;

/// <summary>The request head written straight into a buffer, and the outgoing header policy it applies.</summary>
public sealed class RequestHeadWriterTests
{
    private static DefaultHttpContext Request(string method = "GET", params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("shop.example:8080");
        context.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.10");
        foreach (var (name, value) in headers)
        {
            context.Request.Headers.Append(name, value);
        }

        return context;
    }

    private static Backend Backend(string url = "http://127.0.0.1:5001") =>
        new BackendPool([new Uri(url)], TimeSpan.FromSeconds(10), TimeProvider.System, NullLogger<BackendPool>.Instance).All[0];

    private static (string Head, ProxyError? Error) Write(HttpContext context, Backend backend, string target, bool chunked = false, ForwardedHeaders? forwarded = null)
    {
        var output = new ArrayBufferWriter<byte>();
        // As the forwarder does: the request line per attempt, the fields once per request.
        RequestHeadWriter.WriteRequestLine(output, context.Request.Method, backend, target);
        var error = RequestHeadWriter.WriteHeaders(output, context, forwarded ?? ForwardedHeaders.TrustNobody, chunked);
        return (Encoding.Latin1.GetString(output.WrittenSpan), error);
    }

    [Fact]
    public void Write_GivesRequestLineHostHeadersAndForwarding_InOrder()
    {
        var context = Request("GET", ("Accept", "text/plain"), ("Cookie", "a=1"), ("Connection", "keep-alive"), ("X-Forwarded-For", "6.6.6.6"));

        var (head, error) = Write(context, Backend("http://127.0.0.1:5001/api/"), "/items?id=7");

        error.ShouldBeNull();
        head.ShouldBe("GET /api/items?id=7 HTTP/1.1\r\nHost: 127.0.0.1:5001\r\nAccept: text/plain\r\nCookie: a=1\r\n"
            + "X-Forwarded-For: 192.0.2.10\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: shop.example:8080\r\n\r\n");
    }

    [Fact]
    public void Write_RepeatedHeaders_StayOneLineEach_AndObsTextPassesByteForByte()
    {
        var utf8 = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("José ✓"));
        var context = Request("POST", ("X-Name", utf8), ("X-Tag", "a"), ("X-Tag", "b"), ("Content-Type", "text/plain"));

        var (head, _) = Write(context, Backend(), "/", chunked: true);

        head.ShouldContain($"\r\nX-Name: {utf8}\r\n");
        head.ShouldContain("\r\nX-Tag: a\r\nX-Tag: b\r\n");
        head.ShouldEndWith("Transfer-Encoding: chunked\r\n\r\n");
        Encoding.Latin1.GetBytes(head).ShouldContain((byte)0xC3);
    }

    [Theory]
    [InlineData("Bad[Name]", "x")]
    [InlineData("X-Ctl", "a\u0001b")]
    public void Write_MalformedHeader_GivesThe400(string name, string value)
    {
        var (_, error) = Write(Request("GET", (name, value)), Backend(), "/");

        error.ShouldNotBeNull().StatusCode.ShouldBe(400);
    }

    [Fact]
    public void Write_AppliesTheOutgoingHeaderPolicy_AndKeepsContentHeaders()
    {
        var context = Request("PUT", ("Accept", "*/*"), ("Content-Type", "application/json"), ("Content-Length", "12"),
            ("Connection", "X-Hop"), ("X-Hop", "dropped"), ("Keep-Alive", "timeout=5"), ("Forwarded", "for=evil"),
            ("X-Real-IP", "6.6.6.6"), ("X-Forwarded-Proto", "https"), ("Set-Me", "1"), ("Set-Me", "2"));
        var trusted = new ForwardedHeaders([IPNetwork.Parse("192.0.2.0/24")]);

        var (head, _) = Write(context, Backend(), "/x", forwarded: trusted);

        // A trusted peer's forwarding headers are kept (its X-Forwarded-Proto too); hop-by-hop
        // ones, and those its Connection header names, are not.
        head.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).ShouldBe([
            "PUT /x HTTP/1.1", "Host: 127.0.0.1:5001", "Accept: */*", "Content-Type: application/json", "Content-Length: 12",
            "Forwarded: for=evil", "X-Real-IP: 6.6.6.6", "X-Forwarded-Proto: https", "Set-Me: 1", "Set-Me: 2",
            "X-Forwarded-For: 192.0.2.10", "X-Forwarded-Host: shop.example:8080"]);
    }
}
