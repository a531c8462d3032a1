using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Balancing;

/// <summary>
/// Passive health through the proxy, against real sockets: which failures eject a backend, how
/// many it takes, what never counts, and panic when nobody is left in rotation.
/// </summary>
public sealed class PassiveHealthTests
{
    [Fact]
    public async Task Forward_HungBackend_IsEjectedAfterMaxFailsTimeouts_AndTheRestGoElsewhere()
    {
        await using var hung = RawBackend.Start(async connection =>
        {
            while (await connection.ReadHeadAsync() is not null)
            {
                // Accepts and never answers.
            }
        });
        await using var healthy = await TestBackend.StartAsync("healthy");
        await using var proxy = await ProxyUnderTest.StartAsync([hung.Address, healthy.Address],
            s => s with { ResponseTimeout = TimeSpan.FromMilliseconds(500), MaxFails = 3 }, new FakeTimeProvider());

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await proxy.Client.GetAsync("/");
            statuses.Add(response.StatusCode);
        }

        // Alternating 504/200 until the third timeout; then only the healthy backend.
        statuses.Count(s => s == HttpStatusCode.GatewayTimeout).ShouldBe(3);
        statuses.Skip(6).ShouldAllBe(s => s == HttpStatusCode.OK);
        hung.Heads.Count.ShouldBe(3);
        var backend = proxy.Host.Pool.All[0];
        backend.Healthy.ShouldBeFalse();
        backend.Ejections.ShouldBe(1);
        backend.Failures.ShouldBe(3);
    }

    [Fact]
    public async Task Forward_ResettingBackend_IsEjectedAfterMaxFails_AndASuccessResetsTheCount()
    {
        var answer = true;
        await using var flaky = await TestBackend.StartAsync("flaky", context =>
        {
            if (!answer)
            {
                context.Abort();
                return Task.CompletedTask;
            }

            return context.Response.WriteAsync("flaky");
        });
        await using var proxy = await ProxyUnderTest.StartAsync([flaky.Address], s => s with { MaxFails = 2 }, new FakeTimeProvider());
        var backend = proxy.Host.Pool.All[0];

        // POST: not retried, so each request is exactly one attempt.
        async Task<HttpStatusCode> Post(bool succeed)
        {
            answer = succeed;
            using var response = await proxy.Client.PostAsync("/", new StringContent("x"));
            return response.StatusCode;
        }

        (await Post(false)).ShouldBe(HttpStatusCode.BadGateway);
        (await Post(true)).ShouldBe(HttpStatusCode.OK);
        (await Post(false)).ShouldBe(HttpStatusCode.BadGateway);
        backend.Healthy.ShouldBeTrue("fail, success, fail is not two in a row");
        (await Post(false)).ShouldBe(HttpStatusCode.BadGateway);
        backend.Healthy.ShouldBeFalse();
        backend.Ejections.ShouldBe(1);
    }

    [Fact]
    public async Task Forward_OnlyBackendBackBeforeItsCoolDown_ServesAtOnce()
    {
        var address = Loopback.UnusedAddress();
        await using var proxy = await ProxyUnderTest.StartAsync([address], time: new FakeTimeProvider());

        using (var refused = await proxy.Client.GetAsync("/"))
        {
            refused.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        }

        proxy.Host.Pool.All[0].Healthy.ShouldBeFalse();
        await using var back = await TestBackend.StartAsync("back", port: address.Port);

        // The cool-down (10 s, on a clock that never moves) has not passed: panic tries it anyway.
        (await proxy.Client.GetStringAsync("/")).ShouldBe("back");
        proxy.Host.Pool.All[0].Healthy.ShouldBeTrue();
        (await proxy.Client.GetStringAsync("/")).ShouldBe("back");
    }

    [Fact]
    public async Task Forward_EveryBackendEjected_TriesEachInTurn_ThenGives503()
    {
        var dead = Loopback.UnusedAddress();
        await using var later = await TestBackend.StartAsync("later");
        var laterAddress = later.Address;
        await later.StopAsync();
        await using var proxy = await ProxyUnderTest.StartAsync([dead, laterAddress], time: new FakeTimeProvider());
        using (await proxy.Client.GetAsync("/"))
        {
        }

        proxy.Host.Pool.HealthyCount.ShouldBe(0);
        using (var none = await proxy.Client.GetAsync("/"))
        {
            none.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            none.Headers.RetryAfter.ShouldNotBeNull();
        }

        await using var revived = await TestBackend.StartAsync("revived", port: laterAddress.Port);
        for (var i = 0; i < 4; i++)
        {
            (await proxy.Client.GetStringAsync("/")).ShouldBe("revived");
        }

        proxy.Host.Pool.All[1].Healthy.ShouldBeTrue();
        proxy.Host.Pool.All[0].Healthy.ShouldBeFalse();
    }

    [Fact]
    public async Task Forward_ClientGivesUp_IsNeverABackendFailure()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await TestBackend.StartAsync("slow", async context =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        });
        await using var proxy = await ProxyUnderTest.StartAsync([slow.Address], s => s with { MaxFails = 1 });
        var backend = proxy.Host.Pool.All[0];

        for (var i = 0; i < 3; i++)
        {
            started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var gaveUp = new CancellationTokenSource();
            var request = proxy.Client.GetAsync("/", gaveUp.Token);
            await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await gaveUp.CancelAsync();
            await Should.ThrowAsync<TaskCanceledException>(request);
        }

        await Eventually.HoldsAsync(() => backend.InFlight == 0);
        backend.Failures.ShouldBe(0);
        backend.Healthy.ShouldBeTrue();
    }

    [Fact]
    public async Task Forward_ClientAbortsMidDownload_LeavesNothingInFlight_AndBlamesNoBackend()
    {
        var clientHasPart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var big = await TestBackend.StartAsync("big", async context =>
        {
            context.Response.ContentLength = 10_000_000;
            await context.Response.Body.WriteAsync(new byte[64 * 1024]);
            await context.Response.Body.FlushAsync();
            await clientHasPart.Task.WaitAsync(TimeSpan.FromSeconds(10));
            // Keep writing until the proxy gives up on us.
            var chunk = new byte[64 * 1024];
            while (!context.RequestAborted.IsCancellationRequested)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
            }
        });
        await using var proxy = await ProxyUnderTest.StartAsync([big.Address], s => s with { MaxFails = 1 });
        var backend = proxy.Host.Pool.All[0];

        await using (var client = await RawHttp.ConnectAsync(proxy.ProxyAddress))
        {
            await client.SendAsync("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
            await client.ReadUntilAsync("\r\n\r\n");
            clientHasPart.SetResult();
        }

        await Eventually.HoldsAsync(() => backend.InFlight == 0);
        backend.Failures.ShouldBe(0);
        backend.Healthy.ShouldBeTrue();
    }
}
