using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Forwarding;

public sealed class FailureHandlingTests
{
    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task Forward_ConnectionRefused_RetriesOnTheNextBackend_AndEjects(string method)
    {
        await using var live = await TestBackend.StartAsync("live");
        var dead = Loopback.UnusedAddress();
        await using var proxy = await ProxyUnderTest.StartAsync([dead, live.Address]);

        for (var i = 0; i < 4; i++)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), "/r") { Content = method == "POST" ? new StringContent("body") : null };
            using var response = await proxy.Client.SendAsync(request);
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await response.Content.ReadAsStringAsync()).ShouldBe("live");
        }

        live.Received.Count.ShouldBe(4);
        if (method == "POST")
        {
            live.Received.ShouldAllBe(r => r.BodyLength == 4);
        }

        var deadBackend = proxy.Host.Pool.All[0];
        deadBackend.Healthy.ShouldBeFalse();
        deadBackend.Failures.ShouldBe(1);
        proxy.Logs.Entries.ShouldContain(e => e.Level == LogLevel.Warning && e.Message.Contains($"Backend {dead.AbsoluteUri.TrimEnd('/')} ejected for 10s"));
    }

    [Fact]
    public async Task Forward_ConnectTimeout_RetriesOnTheNextBackend_AndEjectsAfterMaxFails()
    {
        await using var live = await TestBackend.StartAsync("live");
        // A listener that never accepts: once its small backlog is full, further SYNs go
        // unanswered and a connect hangs, as with a host that has vanished.
        using var blackhole = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        blackhole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        blackhole.Listen(0);
        var blackholeEndpoint = (IPEndPoint)blackhole.LocalEndPoint!;
        var fillers = new List<Socket>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
                try
                {
                    await filler.ConnectAsync(blackholeEndpoint, attempt.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            await using var proxy = await ProxyUnderTest.StartAsync(
                [new Uri($"http://127.0.0.1:{blackholeEndpoint.Port}"), live.Address],
                s => s with { ConnectTimeout = TimeSpan.FromMilliseconds(300), MaxFails = 1 });

            using var response = await proxy.Client.PostAsync("/after-timeout", new StringContent("once"));

            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            (await response.Content.ReadAsStringAsync()).ShouldBe("live");
            proxy.Host.Pool.All[0].Healthy.ShouldBeFalse();
            proxy.Logs.Entries.ShouldContain(e => e.Message.Contains("ejected") && e.Message.Contains("no connection within --connect-timeout (0.3s)"));
            live.Received.Single().BodyLength.ShouldBe(4);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task Forward_EjectedBackendRecovers_IsReadmittedAfterTheCoolDown()
    {
        var time = new FakeTimeProvider();
        await using var first = await TestBackend.StartAsync("first");
        await using var second = await TestBackend.StartAsync("second");
        var secondAddress = second.Address;
        await second.StopAsync();
        await using var proxy = await ProxyUnderTest.StartAsync([first.Address, secondAddress], time: time);

        (await proxy.Client.GetStringAsync("/")).ShouldBe("first");
        (await proxy.Client.GetStringAsync("/")).ShouldBe("first");
        proxy.Host.Pool.All[1].Healthy.ShouldBeFalse();

        // Bring a backend back on the same port, then let the cool-down pass.
        await using var revived = await TestBackend.StartAsync("revived", port: secondAddress.Port);
        time.Advance(TimeSpan.FromSeconds(10.1));

        proxy.Host.Pool.All[1].Healthy.ShouldBeTrue();
        var answers = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await proxy.Client.GetStringAsync("/"));
        }

        answers.Count(a => a == "revived").ShouldBe(2);
        proxy.Logs.Entries.ShouldContain(e => e.Level == LogLevel.Warning && e.Message.Contains("readmitted"));
    }

    [Fact]
    public async Task Forward_PostAfterTheRequestWasSent_IsNotRetried_And502()
    {
        await using var resetting = await TestBackend.StartAsync("resetting", async context =>
        {
            await TestBackend.ReadBodyAsync(context);
            context.Abort();
        });
        await using var healthy = await TestBackend.StartAsync("healthy");
        await using var proxy = await ProxyUnderTest.StartAsync([resetting.Address, healthy.Address]);

        using var response = await proxy.Client.PostAsync("/order", new StringContent("pay once"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await response.Content.ReadAsStringAsync()).ShouldStartWith("502 Bad Gateway:");
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/plain");
        healthy.Received.ShouldBeEmpty();
        // A backend that answered with a broken response is not ejected: it accepts connections.
        proxy.Host.Pool.All[0].Healthy.ShouldBeTrue();
    }

    [Fact]
    public async Task Forward_IdempotentRequestWithNoResponse_IsRetriedOnAnotherBackend()
    {
        await using var resetting = await TestBackend.StartAsync("resetting", context =>
        {
            context.Abort();
            return Task.CompletedTask;
        });
        await using var healthy = await TestBackend.StartAsync("healthy");
        await using var proxy = await ProxyUnderTest.StartAsync([resetting.Address, healthy.Address]);

        using var response = await proxy.Client.GetAsync("/idempotent");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).ShouldBe("healthy");
    }

    [Fact]
    public async Task Forward_EveryBackendBreaks_Gives502WithAReason()
    {
        await using var resetting = await TestBackend.StartAsync("resetting", context =>
        {
            context.Abort();
            return Task.CompletedTask;
        });
        await using var proxy = await ProxyUnderTest.StartAsync([resetting.Address]);

        using var response = await proxy.Client.GetAsync("/");

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await response.Content.ReadAsStringAsync()).ShouldContain("backend");
    }

    [Fact]
    public async Task Forward_BackendTooSlow_Gives504()
    {
        await using var slow = await TestBackend.StartAsync("slow", context => Task.Delay(Timeout.Infinite, context.RequestAborted));
        await using var proxy = await ProxyUnderTest.StartAsync([slow.Address], s => s with { ResponseTimeout = TimeSpan.FromMilliseconds(300) });

        using var response = await proxy.Client.GetAsync("/slow");

        response.StatusCode.ShouldBe(HttpStatusCode.GatewayTimeout);
        (await response.Content.ReadAsStringAsync()).ShouldBe("504 Gateway Timeout: the backend sent no response within 0.3s.\n");
    }

    [Fact]
    public async Task Forward_NoBackendLeft_Gives503WithinASecond()
    {
        await using var proxy = await ProxyUnderTest.StartAsync([Loopback.UnusedAddress(), Loopback.UnusedAddress()]);

        using var first = await proxy.Client.GetAsync("/");
        first.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await first.Content.ReadAsStringAsync()).ShouldContain("could not connect to any backend");

        var clock = Stopwatch.StartNew();
        using var second = await proxy.Client.GetAsync("/");
        clock.Stop();

        second.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        second.Headers.RetryAfter.ShouldNotBeNull();
        (await second.Content.ReadAsStringAsync()).ShouldStartWith("503 Service Unavailable: no backend is in rotation");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Forward_ClientGoesAway_CancelsTheUpstreamRequest()
    {
        var upstreamCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upstreamStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await TestBackend.StartAsync("slow", async context =>
        {
            upstreamStarted.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                upstreamCancelled.SetResult();
            }
        });
        await using var proxy = await ProxyUnderTest.StartAsync([slow.Address]);
        using var clientGivesUp = new CancellationTokenSource();

        var request = proxy.Client.GetAsync("/slow", clientGivesUp.Token);
        await upstreamStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await clientGivesUp.CancelAsync();

        await Should.ThrowAsync<TaskCanceledException>(request);
        await upstreamCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.HoldsAsync(() => proxy.Host.Pool.All[0].InFlight == 0);
    }

    [Fact]
    public async Task Forward_MalformedChunkedBody_Gives400Not500()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await using var raw = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await raw.SendAsync("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZZ\r\nnot hex\r\n");
        var response = await raw.ReadToEndAsync();

        response.ShouldStartWith("HTTP/1.1 400");
    }

    [Fact]
    public async Task Forward_BackendFailsMidBody_ClientSeesTheTruncation()
    {
        var clientHasFirstPart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var breaking = await TestBackend.StartAsync("breaking", async context =>
        {
            context.Response.ContentLength = 1_000_000;
            await context.Response.Body.WriteAsync(new byte[1000]);
            await context.Response.Body.FlushAsync();
            await clientHasFirstPart.Task.WaitAsync(TimeSpan.FromSeconds(10));
            context.Abort();
        });
        await using var proxy = await ProxyUnderTest.StartAsync([breaking.Address]);

        using var response = await proxy.Client.GetAsync("/big", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[1000]);
        clientHasFirstPart.SetResult();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        await Should.ThrowAsync<IOException>(() => body.CopyToAsync(Stream.Null));
        proxy.Host.Pool.All[0].Failures.ShouldBe(1);
        await Eventually.HoldsAsync(() => proxy.Host.Pool.All[0].InFlight == 0);
    }

    [Fact]
    public async Task Forward_BackendFailsBeforeAnyBodyByte_Gives502()
    {
        await using var breaking = await TestBackend.StartAsync("breaking", async context =>
        {
            context.Response.ContentLength = 1_000_000;
            await context.Response.StartAsync();
            await context.Response.Body.FlushAsync();
            context.Abort();
        });
        await using var proxy = await ProxyUnderTest.StartAsync([breaking.Address]);

        using var response = await proxy.Client.GetAsync("/big");

        // Either the headers or the first body read fail; both must surface as a 502, never a 200.
        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
    }

    [Theory]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n", "405")]
    public async Task Forward_TargetsAReverseProxyDoesNotServe_AreRefusedPlainly(string requestHead, string status)
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await using var raw = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await raw.SendAsync(requestHead + "Connection: close\r\n\r\n");
        var response = await raw.ReadToEndAsync();

        response.ShouldStartWith($"HTTP/1.1 {status}");
        response.ShouldContain("text/plain");
        backend.Received.ShouldBeEmpty();
    }
}
