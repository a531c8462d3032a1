using System.Net;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Forwarding;

/// <summary>
/// One trust model for the headers that say who the client is: from an untrusted peer they are
/// replaced, from a peer in --trusted-proxies they are kept and appended to.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private const string Spoofing = "GET /who HTTP/1.1\r\nHost: shop.example:8080\r\n"
        + "X-Forwarded-For: 203.0.113.7, 198.51.100.1\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: spoofed.example\r\n"
        + "X-Forwarded-Prefix: /admin\r\nForwarded: for=203.0.113.7;proto=https\r\nX-Real-IP: 203.0.113.7\r\nConnection: close\r\n\r\n";

    private static async Task<IReadOnlyDictionary<string, string[]>> SendAsync(IReadOnlyList<IPNetwork> trusted)
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address], s => s with { TrustedProxies = trusted });
        await using var raw = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await raw.SendAsync(Spoofing);
        (await raw.ReadToEndAsync()).ShouldStartWith("HTTP/1.1 200");

        var headers = backend.Received.Single().Headers;
        headers["Host"].ShouldBe([backend.Address.Authority]);
        return headers;
    }

    [Fact]
    public async Task Forward_FromAnUntrustedPeer_ReplacesEveryForwardingHeader()
    {
        var received = await SendAsync([]);

        received["X-Forwarded-For"].ShouldBe(["127.0.0.1"]);
        received["X-Forwarded-Proto"].ShouldBe(["http"]);
        received["X-Forwarded-Host"].ShouldBe(["shop.example:8080"]);
        received.ShouldNotContainKey("X-Forwarded-Prefix");
        received.ShouldNotContainKey("Forwarded");
        received.ShouldNotContainKey("X-Real-IP");
    }

    [Fact]
    public async Task Forward_FromATrustedPeer_KeepsWhatItSaid_AndAppendsItsAddress()
    {
        var received = await SendAsync([IPNetwork.Parse("127.0.0.0/8")]);

        received["X-Forwarded-For"].ShouldBe(["203.0.113.7, 198.51.100.1, 127.0.0.1"]);
        received["X-Forwarded-Proto"].ShouldBe(["https"]);
        received["X-Forwarded-Host"].ShouldBe(["spoofed.example"]);
        received["X-Forwarded-Prefix"].ShouldBe(["/admin"]);
        received["Forwarded"].ShouldBe(["for=203.0.113.7;proto=https"]);
        received["X-Real-IP"].ShouldBe(["203.0.113.7"]);
    }

    [Fact]
    public async Task Forward_FromAPeerOutsideTheTrustedRanges_IsNotTrusted()
    {
        var received = await SendAsync([IPNetwork.Parse("10.0.0.0/8")]);

        received["X-Forwarded-For"].ShouldBe(["127.0.0.1"]);
        received["X-Forwarded-Proto"].ShouldBe(["http"]);
        received.ShouldNotContainKey("Forwarded");
    }
}
