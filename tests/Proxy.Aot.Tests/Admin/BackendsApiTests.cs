using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using RoundRobinLab.Proxy.Admin;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Admin;

public sealed class BackendsApiTests
{
    private static string Url(TestBackend backend) => backend.Address.AbsoluteUri.TrimEnd('/');

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement[]> BackendsAsync(ProxyUnderTest proxy)
    {
        using var body = JsonDocument.Parse(await proxy.Admin.GetStringAsync("/backends"));
        return [.. body.RootElement.GetProperty("backends").EnumerateArray().Select(b => b.Clone())];
    }

    private static async Task<List<string>> AnswersAsync(ProxyUnderTest proxy, int count)
    {
        var answers = new List<string>();
        for (var i = 0; i < count; i++)
        {
            answers.Add(await proxy.Client.GetStringAsync("/"));
        }

        return answers;
    }

    [Fact]
    public async Task Get_ListsEveryBackendWithWeightStateAndCounts()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var b2 = await TestBackend.StartAsync("b2");
        await using var proxy = await ProxyUnderTest.StartAsync([b1.Address, b2.Address], s => s with { Weights = [2, 1] });
        await AnswersAsync(proxy, 3);

        var backends = await BackendsAsync(proxy);

        backends.Select(b => b.GetProperty("url").GetString()).ShouldBe([Url(b1), Url(b2)]);
        backends.Select(b => b.GetProperty("weight").GetInt32()).ShouldBe([2, 1]);
        backends.Select(b => b.GetProperty("state").GetString()).ShouldBe(["active", "active"]);
        backends.Select(b => b.GetProperty("requests").GetInt64()).ShouldBe([2L, 1L]);
        backends.ShouldAllBe(b => b.GetProperty("inFlight").GetInt64() == 0 && b.GetProperty("failures").GetInt64() == 0 && b.GetProperty("ejections").GetInt64() == 0);
    }

    [Fact]
    public async Task Put_ReplacesTheSet_KeepingTheCountersOfThoseThatStay()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var b2 = await TestBackend.StartAsync("b2");
        await using var b3 = await TestBackend.StartAsync("b3");
        await using var proxy = await ProxyUnderTest.StartAsync([b1.Address, b2.Address]);
        await AnswersAsync(proxy, 4);

        using var response = await proxy.Admin.PutAsync("/backends", Json($$"""{"backends": [{"url": "{{Url(b2)}}", "weight": 2}, {"url": "{{Url(b3)}}"}]}"""));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var backends = await BackendsAsync(proxy);
        backends.Select(b => b.GetProperty("url").GetString()).ShouldBe([Url(b2), Url(b3)]);
        backends.Select(b => b.GetProperty("weight").GetInt32()).ShouldBe([2, 1]);
        backends.Select(b => b.GetProperty("requests").GetInt64()).ShouldBe([2L, 0L]);
        b1.Received.Clear();
        var answers = await AnswersAsync(proxy, 6);
        answers.Count(a => a == "b2").ShouldBe(4);
        answers.Count(a => a == "b3").ShouldBe(2);
        b1.Received.ShouldBeEmpty();
    }

    [Fact]
    public async Task Put_RemovingABackendWithARequestInFlight_LetsItFinish_ThenForgetsIt()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await TestBackend.StartAsync("slow", async context =>
        {
            arrived.TrySetResult();
            await release.Task;
            await context.Response.WriteAsync("slow");
        });
        await using var other = await TestBackend.StartAsync("other");
        await using var proxy = await ProxyUnderTest.StartAsync([slow.Address, other.Address]);
        var inFlight = proxy.Client.GetStringAsync("/");
        await arrived.Task;

        (await proxy.Admin.PutAsync("/backends", Json($$"""{"backends": [{"url": "{{Url(other)}}"}]}"""))).StatusCode.ShouldBe(HttpStatusCode.OK);

        var during = await BackendsAsync(proxy);
        during.Select(b => (b.GetProperty("url").GetString(), b.GetProperty("state").GetString())).ShouldBe([(Url(other), "active"), (Url(slow), "draining")]);
        (await AnswersAsync(proxy, 3)).ShouldAllBe(answer => answer == "other");
        release.SetResult();
        (await inFlight).ShouldBe("slow");
        await Eventually.HoldsAsync(() => proxy.Host.Pool.WithLeaving().Count == 1);
        (await BackendsAsync(proxy)).Select(b => b.GetProperty("url").GetString()).ShouldBe([Url(other)]);
    }

    [Theory]
    [InlineData("{\"backends\": [", "the body is not the JSON expected")]
    [InlineData("{\"backends\": []}", "name at least one backend")]
    [InlineData("{\"backends\": [{\"weight\": 2}]}", "backends[0].url is missing")]
    [InlineData("{\"backends\": [{\"url\": \"localhost:5001\"}]}", "backends[0].url: 'localhost:5001' is not an absolute http:// or https:// URL")]
    [InlineData("{\"backends\": [{\"url\": \"http://127.0.0.1:5009\", \"weight\": 0}]}", "backends[0].weight: the weight '0' of http://127.0.0.1:5009 is not a whole number from 1 to 100")]
    [InlineData("{\"backends\": [{\"url\": \"http://127.0.0.1:5009\"}, {\"url\": \"http://127.0.0.1:5009/\"}]}", "backends[1].url: http://127.0.0.1:5009/ is listed twice")]
    [InlineData("{\"backends\": [{\"url\": \"http://127.0.0.1:5009\", \"weight\": \"heavy\"}]}", "the body is not the JSON expected")]
    public async Task Put_WithABadBody_Is400WithTheReason_AndChangesNothing(string body, string reason)
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([b1.Address]);

        using var response = await proxy.Admin.PutAsync("/backends", Json(body));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(reason);
        proxy.Host.Pool.All.Select(b => b.Prefix).ShouldBe([Url(b1)]);
        (await proxy.Client.GetStringAsync("/")).ShouldBe("b1");
    }

    [Fact]
    public async Task Drain_TakesTheBackendOutOfRotation_AndUndrainBringsItBack()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var b2 = await TestBackend.StartAsync("b2");
        await using var proxy = await ProxyUnderTest.StartAsync([b1.Address, b2.Address]);

        using (var drained = await proxy.Admin.PostAsync("/backends/drain", Json($$"""{"url": "{{Url(b1)}}"}""")))
        {
            drained.StatusCode.ShouldBe(HttpStatusCode.OK);
            using var view = JsonDocument.Parse(await drained.Content.ReadAsStringAsync());
            view.RootElement.GetProperty("state").GetString().ShouldBe("drained");
        }

        (await AnswersAsync(proxy, 4)).ShouldAllBe(answer => answer == "b2");
        (await proxy.Admin.GetAsync("/healthz")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await proxy.Admin.PostAsync("/backends/undrain", Json($$"""{"url": "{{Url(b1)}}"}"""))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await AnswersAsync(proxy, 4)).Count(answer => answer == "b1").ShouldBe(2);
        (await BackendsAsync(proxy)).Select(b => b.GetProperty("state").GetString()).ShouldBe(["active", "active"]);
    }

    [Fact]
    public async Task Drain_OfEveryBackend_Is503ForClients_UntilUndrained()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([b1.Address]);
        var body = $$"""{"url": "{{Url(b1)}}"}""";

        (await proxy.Admin.PostAsync("/backends/drain", Json(body))).StatusCode.ShouldBe(HttpStatusCode.OK);
        using (var refused = await proxy.Client.GetAsync("/"))
        {
            refused.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            (await refused.Content.ReadAsStringAsync()).ShouldContain("every backend is drained");
        }

        (await proxy.Admin.GetAsync("/healthz")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        b1.Received.ShouldBeEmpty();
        (await proxy.Admin.PostAsync("/backends/undrain", Json(body))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await proxy.Client.GetStringAsync("/")).ShouldBe("b1");
    }

    [Fact]
    public async Task Drain_OfAnUnknownBackend_Is404()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([b1.Address]);

        using var response = await proxy.Admin.PostAsync("/backends/drain", Json("""{"url": "http://127.0.0.1:1"}"""));

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await response.Content.ReadAsStringAsync()).ShouldContain("no backend http://127.0.0.1:1 is configured");
    }

    [Fact]
    public async Task Changes_WithATokenSet_Need_ItAsBearer()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var proxy = await ProxyUnderTest.StartAsync([b1.Address], s => s with { AdminToken = "s3cret" });
        var body = $$"""{"url": "{{Url(b1)}}"}""";

        using (var anonymous = await proxy.Admin.PostAsync("/backends/drain", Json(body)))
        {
            anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            anonymous.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer");
        }

        using (var wrong = new HttpRequestMessage(HttpMethod.Post, "/backends/drain") { Content = Json(body) })
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
            (await proxy.Admin.SendAsync(wrong)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        proxy.Host.Pool.All[0].Drained.ShouldBeFalse();
        using var right = new HttpRequestMessage(HttpMethod.Post, "/backends/drain") { Content = Json(body) };
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
        (await proxy.Admin.SendAsync(right)).StatusCode.ShouldBe(HttpStatusCode.OK);
        proxy.Host.Pool.All[0].Drained.ShouldBeTrue();
        (await proxy.Admin.GetAsync("/backends")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Changes_OnAnExposedAdminListenerWithoutAToken_Are403()
    {
        using var pool = new BackendPool([new Uri("http://127.0.0.1:5001")], TimeSpan.FromSeconds(10), TimeProvider.System, NullLogger<BackendPool>.Instance);
        var admin = new AdminEndpoints(pool, new AdminAccess(Token: null, Exposed: true), NullLogger<AdminEndpoints>.Instance);
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/backends/drain";
        context.Request.Body = new MemoryStream("""{"url": "http://127.0.0.1:5001"}"""u8.ToArray());
        var answer = new MemoryStream();
        context.Response.Body = answer;

        await admin.ProcessRequestAsync(context);

        context.Response.StatusCode.ShouldBe(StatusCodes.Status403Forbidden);
        Encoding.UTF8.GetString(answer.ToArray()).ShouldContain("--admin-token");
        pool.All[0].Drained.ShouldBeFalse();
    }
}
