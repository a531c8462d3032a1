using System.Buffers;

namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>
/// Reads one response at a time from the bytes a connection receives, in pieces of any size:
/// the head (1xx interim answers skipped), then the body by its framing: Content-Length,
/// chunked, or up to the close. Body bytes are counted, not kept: the buffer is reused. No
/// I/O here, so every framing and every split of the bytes can be tested without a socket.
/// </summary>
internal sealed class ResponseReader(int bufferBytes)
{
    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(bufferBytes);
    private readonly BackendIdCache _backends = new();
    private Phase _phase;
    private int _filled;
    private long _remaining;
    private ChunkedBodyDecoder _chunked;
    private bool _headRequest;

    private enum Phase
    {
        Head,
        FixedBody,
        ChunkedBody,
        BodyToClose,
        Done,
    }

    public int Status { get; private set; }

    /// <summary>The body's bytes (chunked: the data, not the framing).</summary>
    public long Bytes { get; private set; }

    public string? Backend { get; private set; }

    /// <summary>Whether the connection can carry the next request: neither side closes, and nothing came after the body.</summary>
    public bool KeepAlive { get; private set; }

    /// <summary>Whether any byte of the answer has come.</summary>
    public bool Started { get; private set; }

    /// <summary>Where the next received bytes go: after the head's bytes so far, or the whole buffer for the body.</summary>
    public Span<byte> FreeSpace => _phase == Phase.Head ? _buffer.AsSpan(_filled) : _buffer;

    /// <summary>Ready for the answer to a new request (a HEAD request's answer has no body, whatever its head says).</summary>
    public void Reset(bool headRequest)
    {
        _phase = Phase.Head;
        _filled = 0;
        _headRequest = headRequest;
        Status = 0;
        Bytes = 0;
        Backend = null;
        KeepAlive = false;
        Started = false;
    }

    /// <summary>
    /// Takes <paramref name="received"/> bytes written at FreeSpace: Done when the answer is
    /// complete, NeedMoreData, or InvalidData for an answer that is not HTTP/1.x.
    /// </summary>
    public OperationStatus Advance(int received)
    {
        Started = true;
        if (_phase != Phase.Head)
        {
            return Body(0, received);
        }

        _filled += received;
        while (true)
        {
            var parsed = ResponseHead.TryParse(_buffer.AsSpan(0, _filled), out var head);
            if (parsed == OperationStatus.NeedMoreData)
            {
                // A head that fills the whole buffer is more than any answer the lab expects.
                return _filled == _buffer.Length ? OperationStatus.InvalidData : OperationStatus.NeedMoreData;
            }

            if (parsed == OperationStatus.InvalidData)
            {
                return OperationStatus.InvalidData;
            }

            if (head.Status is >= 100 and < 200 and not 101)
            {
                _buffer.AsSpan(head.Length, _filled - head.Length).CopyTo(_buffer);
                _filled -= head.Length;
                if (_filled == 0)
                {
                    return OperationStatus.NeedMoreData;
                }

                continue;
            }

            // Made a string now: the body's bytes will overwrite the head's.
            Status = head.Status;
            Backend = head.BackendLength >= 0 ? _backends.Get(_buffer.AsSpan(head.BackendStart, head.BackendLength)) : null;
            KeepAlive = !head.Close && head.Status != 101;
            _phase = !head.HasBody(_headRequest) ? Phase.Done
                : head.Chunked ? Phase.ChunkedBody
                : head.ContentLength >= 0 ? Phase.FixedBody
                : Phase.BodyToClose;
            _remaining = head.ContentLength;
            _chunked = default;
            if (_phase == Phase.Done)
            {
                KeepAlive &= _filled == head.Length;
                return OperationStatus.Done;
            }

            return Body(head.Length, _filled - head.Length);
        }
    }

    /// <summary>
    /// The server closed the connection: the end of a body that runs to the close (true), or an
    /// answer cut short (false).
    /// </summary>
    public bool EndOfStream()
    {
        if (_phase != Phase.BodyToClose)
        {
            return false;
        }

        _phase = Phase.Done;
        return true;
    }

    private OperationStatus Body(int start, int count)
    {
        switch (_phase)
        {
            case Phase.FixedBody:
                var take = Math.Min(count, _remaining);
                Bytes += take;
                _remaining -= take;
                if (_remaining > 0)
                {
                    return OperationStatus.NeedMoreData;
                }

                // Bytes past the body: the connection is out of step with its requests.
                KeepAlive &= take == count;
                _phase = Phase.Done;
                return OperationStatus.Done;
            case Phase.ChunkedBody:
                var status = _chunked.Decode(_buffer.AsSpan(start, count), out var consumed, out var payload);
                Bytes += payload;
                if (status == OperationStatus.Done)
                {
                    KeepAlive &= consumed == count;
                    _phase = Phase.Done;
                }

                return status;
            case Phase.BodyToClose:
                Bytes += count;
                KeepAlive = false;
                return OperationStatus.NeedMoreData;
            default:
                // Bytes after a complete answer, before the next request: the server is out of step.
                KeepAlive = false;
                return OperationStatus.InvalidData;
        }
    }
}
