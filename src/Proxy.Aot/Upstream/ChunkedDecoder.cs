using System.Buffers;

namespace RoundRobinLab.Proxy.Upstream;

/// <summary>What <see cref="ChunkedDecoder.Decode"/> found.</summary>
internal enum ChunkStatus
{
    /// <summary>More bytes are needed before anything else can be decoded.</summary>
    NeedMore,

    /// <summary>Body bytes: relay them, then call again.</summary>
    Data,

    /// <summary>The last chunk and the trailer section have been read: the body is complete.</summary>
    Done,

    /// <summary>Not valid chunked coding: the body is broken, and so is the connection.</summary>
    Invalid,
}

/// <summary>
/// Decodes a chunked body (RFC 9112 §7.1) incrementally, as bytes arrive from a pipe. Like the
/// head parser it is a security boundary: where one chunk ends decides where the next response
/// begins, so sizes are strict hex with a bound, every line ends with CRLF exactly (the one after
/// each chunk's data included), and chunk extensions and trailer fields are read over (trailers
/// are not relayed: an HTTP/1.1 client that did not ask for them with <c>TE: trailers</c> may not
/// expect them) but bounded.
/// </summary>
internal struct ChunkedDecoder
{
    /// <summary>Bound on a chunk-size line with its extensions, and on the trailer section.</summary>
    public const int MaxMetadataBytes = 16 * 1024;

    private State _state;
    private long _remaining;
    private int _trailerBytes;

    private enum State
    {
        Size,
        Data,
        DataEnd,
        Trailers,
        Done,
    }

    /// <summary>
    /// Decodes from the start of <paramref name="buffer"/>. Returns <see cref="ChunkStatus.Data"/>
    /// with the body bytes in <paramref name="data"/>, or another status with
    /// <paramref name="data"/> empty. <paramref name="consumed"/> is how far the caller may
    /// advance its reader (past <paramref name="data"/> too: copy it first).
    /// </summary>
    public ChunkStatus Decode(ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> data, out SequencePosition consumed, out string? error)
    {
        data = default;
        error = null;
        var reader = new SequenceReader<byte>(buffer);
        while (true)
        {
            consumed = reader.Position;
            switch (_state)
            {
                case State.Size:
                    if (!reader.TryReadTo(out ReadOnlySpan<byte> sizeLine, (byte)'\n'))
                    {
                        return reader.Remaining > MaxMetadataBytes ? Fail("a chunk-size line longer than 16 KiB", out error) : ChunkStatus.NeedMore;
                    }

                    if (!TryParseSize(sizeLine, out _remaining, out error))
                    {
                        return ChunkStatus.Invalid;
                    }

                    _state = _remaining == 0 ? State.Trailers : State.Data;
                    continue;

                case State.Data:
                    if (reader.End)
                    {
                        return ChunkStatus.NeedMore;
                    }

                    var take = Math.Min(_remaining, reader.Remaining);
                    data = buffer.Slice(reader.Position, take);
                    reader.Advance(take);
                    _remaining -= take;
                    if (_remaining == 0)
                    {
                        _state = State.DataEnd;
                    }

                    consumed = reader.Position;
                    return ChunkStatus.Data;

                case State.DataEnd:
                    // chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF: exactly CRLF.
                    if (reader.Remaining < 2)
                    {
                        return reader.TryPeek(out var first) && first != '\r' ? Fail("no CRLF after a chunk's data", out error) : ChunkStatus.NeedMore;
                    }

                    if (!reader.IsNext("\r\n"u8, advancePast: true))
                    {
                        return Fail("no CRLF after a chunk's data", out error);
                    }

                    _state = State.Size;
                    continue;

                case State.Trailers:
                    if (!reader.TryReadTo(out ReadOnlySpan<byte> trailer, (byte)'\n'))
                    {
                        return _trailerBytes + reader.Remaining > MaxMetadataBytes ? Fail("a trailer section longer than 16 KiB", out error) : ChunkStatus.NeedMore;
                    }

                    _trailerBytes += trailer.Length + 1;
                    if (_trailerBytes > MaxMetadataBytes)
                    {
                        return Fail("a trailer section longer than 16 KiB", out error);
                    }

                    if (trailer.IsEmpty || trailer[^1] != '\r')
                    {
                        return Fail("a trailer line not ended by CRLF", out error);
                    }

                    trailer = trailer[..^1];
                    if (trailer.IsEmpty)
                    {
                        _state = State.Done;
                        consumed = reader.Position;
                        return ChunkStatus.Done;
                    }

                    if (trailer.Contains((byte)'\r') || trailer.IndexOf((byte)':') <= 0)
                    {
                        return Fail("an invalid trailer field", out error);
                    }

                    continue;

                default:
                    return ChunkStatus.Done;
            }
        }
    }

    // chunk-size = 1*HEXDIG, then optional extensions (";" ...), then CRLF.
    private static bool TryParseSize(ReadOnlySpan<byte> line, out long size, out string? error)
    {
        size = 0;
        error = "an invalid chunk size";
        if (line.IsEmpty || line[^1] != '\r')
        {
            // Lines in a chunked body end with CRLF exactly, as Kestrel demands of requests.
            return false;
        }

        line = line[..^1];

        var digits = 0;
        while (digits < line.Length && IsHex(line[digits]))
        {
            digits++;
        }

        // 15 hex digits keep the size below 2^60: no overflow, and far more than any body.
        if (digits == 0 || digits > 15)
        {
            return false;
        }

        foreach (var c in line[..digits])
        {
            size = (size << 4) | (long)HexValue(c);
        }

        var rest = line[digits..];
        // Whitespace before an extension is tolerated (RFC 9112 §7.1.1 BWS); anything else must be one.
        rest = rest.TrimStart(" \t"u8);
        if (!rest.IsEmpty && (rest[0] != ';' || rest.ContainsAnyInRange((byte)0, (byte)0x08) || rest.ContainsAnyInRange((byte)0x0A, (byte)0x1F) || rest.Contains((byte)0x7F)))
        {
            return false;
        }

        error = null;
        return true;
    }

    private static bool IsHex(byte c) => c is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F');

    private static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static ChunkStatus Fail(string reason, out string? error)
    {
        error = reason;
        return ChunkStatus.Invalid;
    }
}
