using RoundRobinLab.Proxy.Forwarding;

namespace RoundRobinLab.Proxy.Tests.Forwarding;

public sealed class HopByHopHeadersTests
{
    [Theory]
    [InlineData("Connection")]
    [InlineData("keep-alive")]
    [InlineData("TRANSFER-ENCODING")]
    [InlineData("te")]
    [InlineData("Upgrade")]
    [InlineData("Proxy-Connection")]
    [InlineData("Proxy-Authorization")]
    public void IsHopByHop_StandardNames_AnyCase(string name) => HopByHopHeaders.IsHopByHop(name, null).ShouldBeTrue();

    [Theory]
    [InlineData("Content-Length")]
    [InlineData("Set-Cookie")]
    [InlineData("Trailer")]
    [InlineData("X-Forwarded-For")]
    public void IsHopByHop_EndToEndNames_AreKept(string name) => HopByHopHeaders.IsHopByHop(name, null).ShouldBeFalse();

    [Fact]
    public void NamedIn_UsualTokensOnly_AllocatesNothing() =>
        HopByHopHeaders.NamedIn(new Microsoft.Extensions.Primitives.StringValues(["keep-alive", "Close"])).ShouldBeNull();

    [Fact]
    public void NamedIn_ExtraTokens_AreHopByHopToo()
    {
        var named = HopByHopHeaders.NamedIn("close, X-Private ,x-other");

        named.ShouldBe(["X-Private", "x-other"]);
        HopByHopHeaders.IsHopByHop("x-private", named).ShouldBeTrue();
        HopByHopHeaders.IsHopByHop("X-Other", named).ShouldBeTrue();
        HopByHopHeaders.IsHopByHop("X-Public", named).ShouldBeFalse();
    }
}
