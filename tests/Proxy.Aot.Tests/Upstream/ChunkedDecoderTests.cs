using System.Buffers;
using System.Text;
using RoundRobinLab.Proxy.Tests.Support;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Tests.Upstream;

/// <summary>The chunked decoder on crafted bytes, whole and fed a few bytes at a time, and on random damage.</summary>
public sealed class ChunkedDecoderTests
{
    /// <summary>
    /// Feeds <paramref name="body"/> to a decoder <paramref name="step"/> bytes at a time, as a pipe
    /// would (keeping what was not consumed), and returns the outcome, the decoded body and how
    /// many bytes of the input the body took.
    /// </summary>
    private static (ChunkStatus Status, string Body, int Used, string? Error) Decode(string body, int step = int.MaxValue)
    {
        var input = Encoding.Latin1.GetBytes(body);
        var decoder = new ChunkedDecoder();
        var output = new StringBuilder();
        var start = 0;
        var available = Math.Min(step, input.Length);
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(input, start, available - start);
            var status = decoder.Decode(buffer, out var data, out var consumed, out var error);
            start += (int)buffer.Slice(0, consumed).Length;
            switch (status)
            {
                case ChunkStatus.Data:
                    output.Append(Encoding.Latin1.GetString(data.ToArray()));
                    continue;
                case ChunkStatus.NeedMore when available < input.Length:
                    available = Math.Min(input.Length, available + step);
                    continue;
                default:
                    return (status, output.ToString(), start, error);
            }
        }
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1)]
    [InlineData(3)]
    public void Decode_ValidBody_GivesTheDataAndStopsAtItsEnd(int step)
    {
        const string Body = "5\r\nhello\r\n6;name=value\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";

        var (status, body, used, _) = Decode(Body + "HTTP/1.1 200 OK\r\n", step);

        status.ShouldBe(ChunkStatus.Done);
        body.ShouldBe("hello world0123456789");
        used.ShouldBe(Body.Length);
    }

    [Fact]
    public void Decode_IncompleteBody_NeedsMore()
    {
        Decode("5\r\nhel").Status.ShouldBe(ChunkStatus.NeedMore);
        Decode("5\r\nhello\r\n0\r\n").Status.ShouldBe(ChunkStatus.NeedMore);
    }

    [Theory]
    [InlineData("Z\r\nhello\r\n0\r\n\r\n", "chunk size")]
    [InlineData("-5\r\nhello\r\n0\r\n\r\n", "chunk size")]
    [InlineData("0x5\r\nhello\r\n0\r\n\r\n", "chunk size")]
    [InlineData("5 x\r\nhello\r\n0\r\n\r\n", "chunk size")]
    [InlineData("\r\nhello\r\n0\r\n\r\n", "chunk size")]
    [InlineData("5\nhello\r\n0\r\n\r\n", "chunk size")]
    [InlineData("1000000000000000\r\nx\r\n", "chunk size")]
    [InlineData("5\r\nhelloX\r\n0\r\n\r\n", "CRLF after")]
    [InlineData("5\r\nhello\n0\r\n\r\n", "CRLF after")]
    [InlineData("5\r\nhello\r\n0\r\nbad trailer\r\n\r\n", "trailer")]
    [InlineData("5\r\nhello\r\n0\r\n\n", "trailer")]
    public void Decode_MalformedBody_IsInvalidWithAReason(string body, string reason)
    {
        var (status, _, _, error) = Decode(body);

        status.ShouldBe(ChunkStatus.Invalid);
        error.ShouldNotBeNull().ShouldContain(reason);
    }

    [Fact]
    public void Decode_EndlessSizeLineOrTrailers_AreBounded()
    {
        Decode("5;" + new string('e', ChunkedDecoder.MaxMetadataBytes + 10)).Status.ShouldBe(ChunkStatus.Invalid);
        Decode("0\r\n" + string.Concat(Enumerable.Repeat("X-T: 1234567890\r\n", 2000))).Status.ShouldBe(ChunkStatus.Invalid);
    }

    /// <summary>
    /// Random damage to valid bodies (fixed seed, bounded count): the decoder never throws, never
    /// gives more data than the input held, and whatever it calls complete ended where a valid
    /// chunked body can end.
    /// </summary>
    [Fact]
    public void Decode_MutatedBodies_AreRefusedOrDecodedConsistently()
    {
        string[] valid =
        [
            "5\r\nhello\r\n0\r\n\r\n",
            "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\n",
            "1\r\nx\r\n1\r\ny\r\n0\r\n\r\n",
        ];
        byte[] interesting = [(byte)'\r', (byte)'\n', (byte)';', (byte)'0', (byte)'F', (byte)' ', (byte)':', 0];
        const int Seed = 1125;
        var random = new Random(Seed);
        for (var i = 0; i < 20_000; i++)
        {
            var text = ByteMutations.Damage(random, valid[random.Next(valid.Length)], interesting, anyByte: false);
            var context = ByteMutations.Describe(Seed, i, text);
            var (status, body, used, error) = Decode(text, step: 1 + (i % 7));
            body.Length.ShouldBeLessThan(text.Length + 1, context);
            used.ShouldBeLessThanOrEqualTo(text.Length, context);
            if (status == ChunkStatus.Done)
            {
                text[..used].ShouldEndWith("\r\n\r\n", Case.Sensitive, context);
            }
            else if (status == ChunkStatus.Invalid)
            {
                error.ShouldNotBeNullOrEmpty(context);
            }
        }
    }
}
