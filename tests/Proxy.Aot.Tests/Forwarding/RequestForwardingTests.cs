using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Forwarding;

public sealed class RequestForwardingTests : IAsyncLifetime
{
    private TestBackend _backend = null!;
    private ProxyUnderTest _proxy = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("b1");
        _proxy = await ProxyUnderTest.StartAsync([_backend.Address]);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private static Uri Verbatim(Uri baseAddress, string target) =>
        new(baseAddress.GetLeftPart(UriPartial.Authority) + target, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    [InlineData("OPTIONS")]
    [InlineData("PURGE")]
    public async Task Forward_AnyMethod_ReachesTheBackendUnchanged(string method)
    {
        using var response = await _proxy.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/m"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.Single().Method.ShouldBe(method);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/a/b/c?x=1&y=2")]
    [InlineData("/a%2Fb/%7Euser/./x/../y?q=%20a+b&q=2&empty=")]
    [InlineData("/caf%C3%A9;matrix=1?%E2%9C%93")]
    public async Task Forward_PathAndQuery_ArriveByteForByte(string target)
    {
        using var response = await _proxy.Client.GetAsync(Verbatim(_proxy.ProxyAddress, target));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        _backend.Received.Single().RawTarget.ShouldBe(target);
    }

    [Fact]
    public async Task Forward_AbsoluteFormTarget_CannotSteerToAnotherHost()
    {
        await using var raw = await RawHttp.ConnectAsync(_proxy.ProxyAddress);

        await raw.SendAsync("GET http://169.254.169.254:80/latest/meta-data?x=1 HTTP/1.1\r\nHost: 169.254.169.254\r\nConnection: close\r\n\r\n");
        var response = await raw.ReadToEndAsync();

        response.ShouldStartWith("HTTP/1.1 200");
        response.ShouldContain("b1");
        _backend.Received.Single().RawTarget.ShouldBe("/latest/meta-data?x=1");
    }

    [Fact]
    public async Task Forward_EndToEndHeaders_PassAsTheyAre_RepeatedOnesIncluded()
    {
        _backend.Handler = async context =>
        {
            context.Response.Headers.Append("Set-Cookie", "a=1; Path=/");
            context.Response.Headers.Append("Set-Cookie", "b=2; HttpOnly");
            context.Response.Headers["X-Custom"] = "kept";
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers.ETag = "\"v1\"";
            await context.Response.WriteAsync("ok");
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/h");
        request.Headers.TryAddWithoutValidation("X-Request-Thing", ["one", "two"]);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer secret");
        request.Headers.TryAddWithoutValidation("Cookie", "session=abc");
        request.Headers.TryAddWithoutValidation("Accept", "text/plain");

        using var response = await _proxy.Client.SendAsync(request);

        response.Headers.GetValues("Set-Cookie").ShouldBe(["a=1; Path=/", "b=2; HttpOnly"]);
        response.Headers.GetValues("X-Custom").ShouldBe(["kept"]);
        response.Headers.CacheControl!.NoStore.ShouldBeTrue();
        response.Headers.ETag!.Tag.ShouldBe("\"v1\"");
        response.Headers.GetValues("X-Backend-Id").ShouldBe(["b1"]);
        var received = _backend.Received.Single().Headers;
        // HttpClient folds repeated values into one line; the backend sees both values.
        string.Join(",", received["X-Request-Thing"]).ShouldBe("one, two");
        received["Authorization"].ShouldBe(["Bearer secret"]);
        received["Cookie"].ShouldBe(["session=abc"]);
        received["Accept"].ShouldBe(["text/plain"]);
    }

    [Fact]
    public async Task Forward_HopByHopHeaders_AreRemovedBothWays_IncludingThoseNamedInConnection()
    {
        _backend.Handler = async context =>
        {
            context.Response.Headers["X-Backend-Private"] = "hop";
            context.Response.Headers["Keep-Alive"] = "timeout=5";
            context.Response.Headers["Proxy-Authenticate"] = "Basic";
            context.Response.Headers["Connection"] = "X-Backend-Private";
            context.Response.Headers["X-End-To-End"] = "kept";
            await context.Response.WriteAsync("ok");
        };
        await using var raw = await RawHttp.ConnectAsync(_proxy.ProxyAddress);

        // Kestrel keeps only "close" or "keep-alive" of a request Connection header that has them,
        // so a header name to drop is listed on its own here (see README, Known limits).
        await raw.SendAsync("GET /hop HTTP/1.1\r\nHost: proxy.example\r\nConnection: X-Client-Private\r\nX-Client-Private: hop\r\n"
            + "Keep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: websocket\r\nProxy-Authorization: Basic eDp5\r\nProxy-Connection: keep-alive\r\nX-Kept: yes\r\n\r\n");
        var response = await raw.ReadUntilAsync("\r\n\r\n");

        var received = _backend.Received.Single().Headers;
        foreach (var name in new[] { "X-Client-Private", "Keep-Alive", "TE", "Upgrade", "Proxy-Authorization", "Proxy-Connection", "Transfer-Encoding" })
        {
            received.ShouldNotContainKey(name);
        }

        received.ShouldNotContainKey("Connection");
        received["X-Kept"].ShouldBe(["yes"]);
        response.ShouldNotContain("X-Backend-Private", Case.Insensitive);
        response.ShouldNotContain("Keep-Alive:", Case.Insensitive);
        response.ShouldNotContain("Proxy-Authenticate", Case.Insensitive);
        response.ShouldContain("X-End-To-End: kept");
    }

    [Fact]
    public async Task Forward_RequestAndResponseBodies_ArriveWhole()
    {
        var payload = RandomNumberGenerator.GetBytes(8 * 1024 * 1024 + 17);
        _backend.Handler = async context =>
        {
            var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            context.Items["body-length"] = body.Length;
            context.Response.Headers["X-Sha256"] = Convert.ToHexString(SHA256.HashData(body.ToArray()));
            await context.Response.Body.WriteAsync(body.ToArray());
        };

        using var response = await _proxy.Client.PostAsync("/upload", new ByteArrayContent(payload));
        var echoed = await response.Content.ReadAsByteArrayAsync();

        response.Headers.GetValues("X-Sha256").Single().ShouldBe(Convert.ToHexString(SHA256.HashData(payload)));
        echoed.Length.ShouldBe(payload.Length);
        SHA256.HashData(echoed).ShouldBe(SHA256.HashData(payload));
        _backend.Received.Single().Headers["Content-Length"].ShouldBe([payload.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    [Fact]
    public async Task Forward_ChunkedRequestAndResponse_StayChunked()
    {
        _backend.Handler = async context =>
        {
            var length = await TestBackend.ReadBodyAsync(context);
            await context.Response.WriteAsync($"got {length} bytes; ");
            await context.Response.Body.FlushAsync();
            await context.Response.WriteAsync("done");
        };
        using var content = new ChunkedContent(Encoding.ASCII.GetBytes(new string('x', 60_000)), Encoding.ASCII.GetBytes(new string('y', 40_000)));

        using var response = await _proxy.Client.PostAsync("/chunked", content);
        var text = await response.Content.ReadAsStringAsync();

        text.ShouldBe("got 100000 bytes; done");
        response.Headers.TransferEncodingChunked.ShouldBe(true);
        var received = _backend.Received.Single().Headers;
        received["Transfer-Encoding"].ShouldBe(["chunked"]);
        received.ShouldNotContainKey("Content-Length");
    }

    [Fact]
    public async Task Forward_ResponseBody_IsStreamedNotBuffered()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _backend.Handler = async context =>
        {
            await context.Response.WriteAsync("first part;");
            await context.Response.Body.FlushAsync();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await context.Response.WriteAsync("second part");
        };

        using var response = await _proxy.Client.GetAsync("/stream", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[64];
        var read = await body.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        // The first part came through while the backend was still holding the rest back.
        Encoding.ASCII.GetString(buffer, 0, read).ShouldBe("first part;");
        release.SetResult();
        (await new StreamReader(body).ReadToEndAsync()).ShouldBe("second part");
    }

    [Fact]
    public async Task Forward_RequestBody_IsStreamedNotBuffered()
    {
        var firstPartArrived = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        _backend.Handler = async context =>
        {
            var buffer = new byte[64];
            var read = await context.Request.Body.ReadAsync(buffer);
            firstPartArrived.SetResult(Encoding.ASCII.GetString(buffer, 0, read));
            var rest = await new StreamReader(context.Request.Body).ReadToEndAsync();
            await context.Response.WriteAsync(rest);
        };
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var content = new ChunkedContent(Encoding.ASCII.GetBytes("first;"), Encoding.ASCII.GetBytes("rest")) { BetweenParts = release.Task };

        var sending = _proxy.Client.PostAsync("/upload", content);

        // The first part reached the backend while the client was still holding the rest back.
        (await firstPartArrived.Task.WaitAsync(TimeSpan.FromSeconds(10))).ShouldBe("first;");
        release.SetResult();
        using var response = await sending;
        (await response.Content.ReadAsStringAsync()).ShouldBe("rest");
    }

    [Fact]
    public async Task Forward_Head_KeepsContentLengthWithoutBody()
    {
        _backend.Handler = context =>
        {
            context.Response.ContentLength = 1234;
            context.Response.ContentType = "application/octet-stream";
            return Task.CompletedTask;
        };
        await using var raw = await RawHttp.ConnectAsync(_proxy.ProxyAddress);

        await raw.SendAsync("HEAD /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var response = await raw.ReadToEndAsync();

        response.ShouldStartWith("HTTP/1.1 200");
        response.ShouldContain("Content-Length: 1234");
        response.ShouldEndWith("\r\n\r\n");
        _backend.Received.Single().Method.ShouldBe("HEAD");
    }

    [Theory]
    [InlineData(204)]
    [InlineData(304)]
    public async Task Forward_NoContentAndNotModified_HaveNoBody(int status)
    {
        _backend.Handler = context =>
        {
            context.Response.StatusCode = status;
            context.Response.Headers.ETag = "\"v1\"";
            return Task.CompletedTask;
        };
        await using var raw = await RawHttp.ConnectAsync(_proxy.ProxyAddress);

        await raw.SendAsync("GET /cached HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"v1\"\r\nConnection: close\r\n\r\n");
        var response = await raw.ReadToEndAsync();

        response.ShouldStartWith($"HTTP/1.1 {status}");
        response.ShouldContain("ETag: \"v1\"");
        response.ShouldNotContain("Transfer-Encoding", Case.Insensitive);
        response.ShouldEndWith("\r\n\r\n");
        _backend.Received.Single().Headers["If-None-Match"].ShouldBe(["\"v1\""]);
    }

    [Fact]
    public async Task Forward_Expect100Continue_BodyFlowsAfterTheBackendAgrees()
    {
        await using var raw = await RawHttp.ConnectAsync(_proxy.ProxyAddress);

        await raw.SendAsync("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
        var interim = await raw.ReadUntilAsync("\r\n\r\n");
        await raw.SendAsync("hello");
        var response = await raw.ReadToEndAsync();

        interim.ShouldStartWith("HTTP/1.1 100 Continue");
        response.ShouldStartWith("HTTP/1.1 200");
        response.ShouldContain("\r\nb1\r\n");
        _backend.Received.Single().BodyLength.ShouldBe(5);
    }

    [Fact]
    public async Task Forward_Expect100Continue_BackendRefusal_ReachesTheClientWithoutTheBody()
    {
        _backend.Handler = context =>
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return Task.CompletedTask;
        };
        await using var raw = await RawHttp.ConnectAsync(_proxy.ProxyAddress);

        await raw.SendAsync("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
        var response = await raw.ReadUntilAsync("\r\n\r\n");

        response.ShouldStartWith("HTTP/1.1 413");
        response.ShouldNotContain("100 Continue");
    }
}
