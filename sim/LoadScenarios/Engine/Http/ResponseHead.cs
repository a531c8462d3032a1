using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>
/// The status line and the headers of an HTTP/1.x response, as much as the engine needs: the
/// status, how the body is framed (Content-Length, chunked, or up to the close), whether the
/// server closes the connection, and where the X-Backend-Id value sits in the buffer.
/// </summary>
internal readonly struct ResponseHead
{
    private static ReadOnlySpan<byte> EndOfHead => "\r\n\r\n"u8;

    public int Status { get; init; }

    /// <summary>The body's length, or -1 when the head gives none (chunked, or read to the close).</summary>
    public long ContentLength { get; init; }

    public bool Chunked { get; init; }

    /// <summary>The server closes the connection after this response (Connection: close, HTTP/1.0, or a body up to the close).</summary>
    public bool Close { get; init; }

    /// <summary>Where X-Backend-Id's value starts in the parsed buffer; its length is -1 when there is none.</summary>
    public int BackendStart { get; init; }

    public int BackendLength { get; init; }

    /// <summary>The head's length, blank line included: the body starts here.</summary>
    public int Length { get; init; }

    /// <summary>
    /// Parses a head at the start of <paramref name="data"/>: Done, NeedMoreData while the blank
    /// line has not come yet, or InvalidData for anything that is not an HTTP/1.x response head.
    /// </summary>
    public static OperationStatus TryParse(ReadOnlySpan<byte> data, out ResponseHead head)
    {
        head = default;
        var end = data.IndexOf(EndOfHead);
        if (end < 0)
        {
            // Not HTTP at all should not wait for a blank line that may never come.
            var prefix = Math.Min(data.Length, 7);
            return data[..prefix].SequenceEqual("HTTP/1."u8[..prefix]) ? OperationStatus.NeedMoreData : OperationStatus.InvalidData;
        }

        var lines = data[..(end + 2)];
        var lineEnd = lines.IndexOf("\r\n"u8);
        if (!TryParseStatusLine(lines[..lineEnd], out var http10, out var status))
        {
            return OperationStatus.InvalidData;
        }

        long contentLength = -1;
        bool chunked = false, transferEncoding = false, close = false, keepAlive = false;
        int backendStart = 0, backendLength = -1;
        var offset = lineEnd + 2;
        while (offset < lines.Length)
        {
            var line = lines[offset..];
            line = line[..line.IndexOf("\r\n"u8)];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[..colon].IndexOfAny((byte)' ', (byte)'\t') >= 0)
            {
                return OperationStatus.InvalidData;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length || length < 0 || (contentLength >= 0 && contentLength != length))
                {
                    return OperationStatus.InvalidData;
                }

                contentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                // Chunked only counts as the last coding; anything else runs to the close.
                transferEncoding = true;
                var last = value[(value.LastIndexOf((byte)',') + 1)..].Trim(" \t"u8);
                chunked = Ascii.EqualsIgnoreCase(last, "chunked"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                foreach (var range in value.Split((byte)','))
                {
                    var token = value[range].Trim(" \t"u8);
                    close |= Ascii.EqualsIgnoreCase(token, "close"u8);
                    keepAlive |= Ascii.EqualsIgnoreCase(token, "keep-alive"u8);
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "X-Backend-Id"u8))
            {
                backendStart = offset + colon + 1 + (line[(colon + 1)..].Length - line[(colon + 1)..].TrimStart(" \t"u8).Length);
                backendLength = value.Length;
            }

            offset += line.Length + 2;
        }

        // A transfer coding overrides any Content-Length (RFC 9112 §6.3).
        if (transferEncoding)
        {
            contentLength = -1;
        }

        head = new ResponseHead
        {
            Status = status,
            ContentLength = contentLength,
            Chunked = chunked,
            Close = close || (http10 && !keepAlive) || (transferEncoding && !chunked),
            BackendStart = backendStart,
            BackendLength = backendLength,
            Length = end + EndOfHead.Length,
        };
        return OperationStatus.Done;
    }

    /// <summary>Whether a response to this request has a body at all, whatever its head says (HEAD, 1xx, 204, 304).</summary>
    public bool HasBody(bool isHeadRequest) => !isHeadRequest && Status >= 200 && Status != 204 && Status != 304;

    /// <summary>"HTTP/1.1 200 OK": the version, a space, three digits, then a space and a reason or nothing.</summary>
    private static bool TryParseStatusLine(ReadOnlySpan<byte> line, out bool http10, out int status)
    {
        http10 = false;
        status = 0;
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[7] is not ((byte)'0' or (byte)'1') || line[8] != (byte)' '
            || (line.Length > 12 && line[12] != (byte)' '))
        {
            return false;
        }

        for (var i = 9; i < 12; i++)
        {
            if (!char.IsAsciiDigit((char)line[i]))
            {
                return false;
            }

            status = (status * 10) + (line[i] - '0');
        }

        http10 = line[7] == (byte)'0';
        return status >= 100;
    }
}
