using System.Buffers;
using System.Text;
using RoundRobinLab.Proxy.Tests.Support;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Tests.Upstream;

/// <summary>
/// The response head parser on crafted bytes: what it accepts, what framing it concludes, and
/// that whatever a backend sends it either parses into a consistent head or refuses.
/// </summary>
public sealed class ResponseHeadParserTests
{
    private static (ParseStatus Status, ResponseHead Head, long Consumed, string? Error) Parse(string latin1, int segments = 1)
    {
        var bytes = Encoding.Latin1.GetBytes(latin1);
        var buffer = Segments.Even(bytes, segments);
        var head = new ResponseHead();
        var status = ResponseHeadParser.TryParse(buffer, head, out var consumed, out var error);
        return (status, head, buffer.Slice(0, consumed).Length, error);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    public void TryParse_ValidHead_GivesStatusHeadersAndWhereTheBodyStarts(int segments)
    {
        const string Head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 5\r\n\r\n";

        var (status, head, consumed, _) = Parse(Head + "hello", segments);

        status.ShouldBe(ParseStatus.Complete);
        consumed.ShouldBe(Head.Length);
        head.StatusCode.ShouldBe(200);
        head.ReasonPhrase.ShouldBe("OK");
        head.MinorVersion.ShouldBe(1);
        head.Headers.Select(h => $"{h.Key}={h.Value}").ShouldBe(["Content-Type=text/plain", "Set-Cookie=a=1", "Set-Cookie=b=2", "Content-Length=5"]);
        head.Framing(headRequest: false).ShouldBe(BodyFraming.ContentLength);
        head.ContentLength.ShouldBe(5);
        head.KeepAlive(headRequest: false).ShouldBeTrue();
    }

    [Fact]
    public void TryParse_NextResponseOnTheConnection_ReusesEqualStrings_AndOnlyThose()
    {
        var head = new ResponseHead();
        ResponseHeadParser.TryParse(new(Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\nServer: b1\r\nDate: Mon\r\nX-Name: caf\u00e9\r\n\r\n")), head, out _, out _);
        var first = head.Headers.ToArray();

        ResponseHeadParser.TryParse(new(Encoding.Latin1.GetBytes("HTTP/1.1 200 OK\r\nServer: b1\r\nDate: Tue\r\nX-Name: caf\u00e9\r\n\r\n")), head, out _, out _);

        head.Headers.Select(h => $"{h.Key}={h.Value}").ShouldBe(["Server=b1", "Date=Tue", "X-Name=caf\u00e9"]);
        ReferenceEquals(head.Headers[0].Key, first[0].Key).ShouldBeTrue();
        ReferenceEquals(head.Headers[0].Value, first[0].Value).ShouldBeTrue();
        ReferenceEquals(head.Headers[1].Key, first[1].Key).ShouldBeTrue();
        ReferenceEquals(head.Headers[1].Value, first[1].Value).ShouldBeFalse();
    }

    [Theory]
    [InlineData("Connection: keep-alive", false, false)]
    [InlineData("Connection: Keep-Alive, Upgrade", false, false)]
    [InlineData("Connection: close", true, false)]
    [InlineData("Connection: close, X-Private", true, true)]
    [InlineData("Connection: x-trace", false, true)]
    public void TryParse_ConnectionOptions_SayCloseAndWhetherHeadersAreNamed(string field, bool close, bool namesHeaders)
    {
        var (status, head, _, _) = Parse($"HTTP/1.1 200 OK\r\n{field}\r\nContent-Length: 0\r\n\r\n");

        status.ShouldBe(ParseStatus.Complete);
        head.ConnectionClose.ShouldBe(close);
        head.ConnectionNamesHeaders.ShouldBe(namesHeaders);
    }

    [Fact]
    public void TryParse_IncompleteHead_AsksForMore()
    {
        Parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n").Status.ShouldBe(ParseStatus.Incomplete);
        Parse("HTTP/1.1 2").Status.ShouldBe(ParseStatus.Incomplete);
    }

    [Fact]
    public void TryParse_ObsTextInAValue_IsKeptByteForByte()
    {
        var utf8 = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("attachment; filename=\"café.txt\""));

        var (status, head, _, _) = Parse($"HTTP/1.1 200 OK\r\nContent-Disposition: {utf8}\r\n\r\n");

        status.ShouldBe(ParseStatus.Complete);
        head.Headers.Single().Value.ShouldBe(utf8);
    }

    [Fact]
    public void TryParse_BareLineFeeds_AreLineEnds()
    {
        var (status, head, _, _) = Parse("HTTP/1.1 204 No Content\nX-A: 1\n\n");

        status.ShouldBe(ParseStatus.Complete);
        head.Headers.Single().Value.ShouldBe("1");
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", nameof(BodyFraming.Chunked), true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", nameof(BodyFraming.Chunked), true)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", nameof(BodyFraming.UntilClose), false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", nameof(BodyFraming.Chunked), false)]
    [InlineData("HTTP/1.1 200 OK\r\n\r\n", nameof(BodyFraming.UntilClose), false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n", nameof(BodyFraming.ContentLength), true)]
    [InlineData("HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n", nameof(BodyFraming.None), true)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", nameof(BodyFraming.None), true)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n", nameof(BodyFraming.None), true)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive, close\r\n\r\n", nameof(BodyFraming.ContentLength), false)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n", nameof(BodyFraming.ContentLength), false)]
    public void TryParse_Framing_FollowsRfc9112(string text, string framing, bool keepAlive)
    {
        var (status, head, _, _) = Parse(text);

        status.ShouldBe(ParseStatus.Complete);
        head.Framing(headRequest: false).ShouldBe(Enum.Parse<BodyFraming>(framing));
        head.KeepAlive(headRequest: false).ShouldBe(keepAlive);
    }

    [Fact]
    public void TryParse_AnswerToHead_HasNoBodyWhateverItsHeadersSay()
    {
        var (_, head, _, _) = Parse("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");

        head.Framing(headRequest: true).ShouldBe(BodyFraming.None);
        head.KeepAlive(headRequest: true).ShouldBeTrue();
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", "Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", "Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", "Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", "folding")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n", "header name")]
    [InlineData("HTTP/1.1 200 OK\r\nBad[Name]: 1\r\n\r\n", "header name")]
    [InlineData("HTTP/1.1 200 OK\r\n: 1\r\n\r\n", "header name")]
    [InlineData("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", "header name")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\n\r\n", "control byte")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\u0001b\r\n\r\n", "control byte")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", "bare CR")]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n", "status line")]
    [InlineData("HTTP/1.1 099 Odd\r\n\r\n", "status line")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n", "status line")]
    [InlineData("HTTP/2.0 200 OK\r\n\r\n", "status line")]
    [InlineData("HTTP/1.1  200 OK\r\n\r\n", "status line")]
    [InlineData("http/1.1 200 OK\r\n\r\n", "status line")]
    [InlineData("garbage\r\n\r\n", "status line")]
    [InlineData("HTTP/1.1 200 O\u0001K\r\n\r\n", "reason phrase")]
    public void TryParse_MalformedHead_IsInvalidWithAReason(string text, string reason)
    {
        var (status, _, _, error) = Parse(text);

        status.ShouldBe(ParseStatus.Invalid);
        error.ShouldNotBeNull().ShouldContain(reason);
    }

    [Fact]
    public void TryParse_HeadLongerThanTheLimit_IsInvalid_WhetherOrNotItEnds()
    {
        var huge = "HTTP/1.1 200 OK\r\nX-Big: " + new string('a', ResponseHeadParser.MaxHeadBytes) + "\r\n";

        Parse(huge).Status.ShouldBe(ParseStatus.Invalid);
        Parse(huge + "\r\n").Status.ShouldBe(ParseStatus.Invalid);
    }

    [Fact]
    public void TryParse_StatusWithoutReason_IsAccepted()
    {
        var (status, head, _, _) = Parse("HTTP/1.1 404\r\n\r\n");

        status.ShouldBe(ParseStatus.Complete);
        head.StatusCode.ShouldBe(404);
        head.ReasonPhrase.ShouldBe("");
    }

    /// <summary>
    /// Random damage to valid heads (fixed seed, bounded count): the parser never throws, and any
    /// head it accepts is one a proxy can relay safely.
    /// </summary>
    [Fact]
    public void TryParse_MutatedHeads_AreRefusedOrParsedConsistently()
    {
        string[] valid =
        [
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "HTTP/1.0 301 Moved Permanently\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n",
            "HTTP/1.1 204 No Content\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n",
        ];
        byte[] interesting = [(byte)'\r', (byte)'\n', (byte)' ', (byte)'\t', (byte)':', (byte)',', 0, 1, 0x7F, 0xE9, (byte)'0', (byte)'-'];
        const int Seed = 20261125;
        var random = new Random(Seed);
        for (var i = 0; i < 20_000; i++)
        {
            var text = ByteMutations.Damage(random, valid[random.Next(valid.Length)], interesting, anyByte: true);
            var context = ByteMutations.Describe(Seed, i, text);
            var (status, head, consumed, error) = Parse(text, segments: 1 + (i % 5));
            switch (status)
            {
                case ParseStatus.Complete:
                    head.StatusCode.ShouldBeInRange(100, 999, context);
                    consumed.ShouldBeLessThanOrEqualTo(text.Length, context);
                    head.Headers.ShouldAllBe(h => h.Key.Length > 0 && h.Key.All(c => c > ' ' && c < 0x7F && c != ':'), context);
                    head.Headers.ShouldAllBe(h => h.Value.All(c => c == '\t' || (c >= ' ' && c != 0x7F)), context);
                    head.Headers.ShouldAllBe(h => h.Value.Length == 0 || (h.Value[0] != ' ' && h.Value[h.Value.Length - 1] != ' '), context);
                    if (head.Framing(headRequest: false) == BodyFraming.ContentLength)
                    {
                        head.ContentLength.ShouldBeGreaterThanOrEqualTo(0, context);
                    }

                    break;
                case ParseStatus.Invalid:
                    error.ShouldNotBeNullOrEmpty(context);
                    break;
            }
        }
    }
}
