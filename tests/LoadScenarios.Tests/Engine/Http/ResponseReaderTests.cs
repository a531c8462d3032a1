using System.Buffers;
using System.Text;
using RoundRobinLab.Scenarios.Engine.Http;

namespace RoundRobinLab.Scenarios.Tests.Engine.Http;

public sealed class ResponseReaderTests
{
    /// <summary>Feeds <paramref name="response"/> cut at <paramref name="cut"/> (two pieces); the last status and the reader.</summary>
    private static (OperationStatus Status, ResponseReader Reader) Read(string response, int cut, bool headRequest = false, bool closeAfter = false)
    {
        var reader = new ResponseReader(1024);
        reader.Reset(headRequest);
        var bytes = Encoding.ASCII.GetBytes(response);
        var status = OperationStatus.NeedMoreData;
        foreach (var piece in new[] { bytes[..cut], bytes[cut..] })
        {
            if (piece.Length == 0)
            {
                continue;
            }

            piece.CopyTo(reader.FreeSpace);
            status = reader.Advance(piece.Length);
            if (status != OperationStatus.NeedMoreData)
            {
                return (status, reader);
            }
        }

        return (closeAfter && reader.EndOfStream() ? OperationStatus.Done : status, reader);
    }

    /// <summary>Every way to cut the response in two reads the same.</summary>
    private static ResponseReader ReadAtEveryCut(string response, OperationStatus expected = OperationStatus.Done, bool headRequest = false, bool closeAfter = false)
    {
        ResponseReader? last = null;
        for (var cut = 0; cut <= response.Length; cut++)
        {
            var (status, reader) = Read(response, cut, headRequest, closeAfter);
            status.ShouldBe(expected, $"cut at {cut}");
            last = reader;
        }

        return last!;
    }

    [Fact]
    public void ContentLength_CountsTheBody_AndKeepsTheConnection()
    {
        var reader = ReadAtEveryCut("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Backend-Id: b2\r\n\r\nhello");

        (reader.Status, reader.Bytes, reader.Backend, reader.KeepAlive).ShouldBe((200, 5L, "b2", true));
    }

    [Fact]
    public void Chunked_CountsTheDataNotTheFraming()
    {
        var reader = ReadAtEveryCut("HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n5;name=value\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n");

        (reader.Bytes, reader.KeepAlive).ShouldBe((15L, true));
    }

    [Fact]
    public void TransferEncodingNotChunked_RunsToTheClose()
    {
        var reader = ReadAtEveryCut("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabcdef", closeAfter: true);

        (reader.Bytes, reader.KeepAlive).ShouldBe((6L, false));
    }

    [Fact]
    public void NoLength_RunsToTheClose_AndOnlyTheCloseEndsIt()
    {
        Read("HTTP/1.1 200 OK\r\n\r\nabc", 5).Status.ShouldBe(OperationStatus.NeedMoreData);
        var reader = ReadAtEveryCut("HTTP/1.1 200 OK\r\n\r\nabc", closeAfter: true);

        (reader.Bytes, reader.KeepAlive).ShouldBe((3L, false));
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nabEXTRA")]
    public void ConnectionNotKept_WhenEitherSideCloses_OrTheServerIsOutOfStep(string response)
    {
        ReadAtEveryCut(response).KeepAlive.ShouldBeFalse();
    }

    [Fact]
    public void Http10KeepAlive_IsKept()
    {
        ReadAtEveryCut("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").KeepAlive.ShouldBeTrue();
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", false)]
    [InlineData("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true)]
    public void NoBody_ForHeadRequests_204And304(string response, bool headRequest)
    {
        var reader = ReadAtEveryCut(response, headRequest: headRequest);

        (reader.Bytes, reader.KeepAlive).ShouldBe((0L, true));
    }

    [Fact]
    public void InterimAnswers_AreSkipped()
    {
        var reader = ReadAtEveryCut("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx");

        (reader.Status, reader.Bytes).ShouldBe((404, 1L));
    }

    [Theory]
    [InlineData("HTTP/2 200\r\n\r\n")]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n")]
    public void Malformed_IsInvalid(string response)
    {
        ReadAtEveryCut(response, OperationStatus.InvalidData);
    }

    [Fact]
    public void NotHttp_IsInvalidBeforeAnyBlankLine()
    {
        Read("SSH-2.0-OpenSSH_9.2\r\n", 21).Status.ShouldBe(OperationStatus.InvalidData);
    }

    [Fact]
    public void HeadLongerThanTheBuffer_IsInvalid()
    {
        // The first read fills the whole buffer, and no blank line yet.
        Read("HTTP/1.1 200 OK\r\nX-Big: " + new string('x', 2000) + "\r\n\r\n", 1024).Status.ShouldBe(OperationStatus.InvalidData);
    }

    [Fact]
    public void BackendIds_SameBytesSameString()
    {
        var reader = new ResponseReader(1024);
        var strings = new List<string?>();
        foreach (var id in new[] { "b1", "b2", "b1" })
        {
            reader.Reset(headRequest: false);
            var bytes = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nX-Backend-Id: {id}\r\nContent-Length: 0\r\n\r\n");
            bytes.CopyTo(reader.FreeSpace);
            reader.Advance(bytes.Length).ShouldBe(OperationStatus.Done);
            strings.Add(reader.Backend);
        }

        strings.ShouldBe(["b1", "b2", "b1"]);
        ReferenceEquals(strings[0], strings[2]).ShouldBeTrue();
    }
}
