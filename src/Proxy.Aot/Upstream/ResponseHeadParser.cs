using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace RoundRobinLab.Proxy.Upstream;

/// <summary>The outcome of <see cref="ResponseHeadParser.TryParse"/>.</summary>
internal enum ParseStatus
{
    /// <summary>The head is not complete yet: read more and parse again from the start.</summary>
    Incomplete,

    Complete,

    /// <summary>Not a valid HTTP/1.x response head: the client gets a 502 and the connection is closed.</summary>
    Invalid,
}

/// <summary>
/// Parses an HTTP/1.x response head (RFC 9112) from the bytes a backend sent. This is a security
/// boundary: whatever it accepts is relayed, and whatever framing it concludes decides where the
/// next response on the connection begins. So it is strict where a lenient reading could let two
/// parties disagree (obs-fold, whitespace before a colon, conflicting or signed
/// <c>Content-Length</c>, bare CR, control bytes), and lenient only where RFC 9112 allows it
/// (a bare LF ends a line). Field values are kept as Latin-1, byte for byte.
/// </summary>
internal static class ResponseHeadParser
{
    /// <summary>The largest head accepted, as Kestrel's default for request heads.</summary>
    public const int MaxHeadBytes = 64 * 1024;

    // RFC 9110 §5.6.2: tchar.
    private static readonly SearchValues<byte> s_token =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    // Control bytes other than HTAB, and DEL: never in a field value or reason phrase.
    private static readonly SearchValues<byte> s_controls = SearchValues.Create(Controls());

    /// <summary>
    /// Parses one head from the start of <paramref name="buffer"/> into <paramref name="head"/>.
    /// On <see cref="ParseStatus.Complete"/>, <paramref name="consumed"/> is where the body (or
    /// the next response, after a 1xx) begins; on <see cref="ParseStatus.Invalid"/>,
    /// <paramref name="error"/> says what was wrong, for the log.
    /// </summary>
    public static ParseStatus TryParse(ReadOnlySequence<byte> buffer, ResponseHead head, out SequencePosition consumed, out string? error)
    {
        head.Reset();
        consumed = buffer.Start;
        error = null;
        var reader = new SequenceReader<byte>(buffer);
        var statusLine = true;
        while (true)
        {
            if (!reader.TryReadTo(out ReadOnlySpan<byte> line, (byte)'\n'))
            {
                if (buffer.Length > MaxHeadBytes)
                {
                    error = "the response head is longer than 64 KiB";
                    return ParseStatus.Invalid;
                }

                return ParseStatus.Incomplete;
            }

            if (reader.Consumed > MaxHeadBytes)
            {
                error = "the response head is longer than 64 KiB";
                return ParseStatus.Invalid;
            }

            // CRLF ends a line; a bare LF is accepted (RFC 9112 §2.2); a CR anywhere else is not.
            if (line.Length > 0 && line[^1] == '\r')
            {
                line = line[..^1];
            }

            if (line.Contains((byte)'\r'))
            {
                error = "a bare CR in the response head";
                return ParseStatus.Invalid;
            }

            if (statusLine)
            {
                if (!TryParseStatusLine(line, head, out error))
                {
                    return ParseStatus.Invalid;
                }

                statusLine = false;
                continue;
            }

            if (line.IsEmpty)
            {
                consumed = reader.Position;
                head.Remember();
                return ParseStatus.Complete;
            }

            if (!TryParseField(line, head, out error))
            {
                return ParseStatus.Invalid;
            }
        }
    }

    // status-line = HTTP-version SP status-code SP [ reason-phrase ]
    private static bool TryParseStatusLine(ReadOnlySpan<byte> line, ResponseHead head, out string? error)
    {
        error = "an invalid status line";
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[7] is not ((byte)'0' or (byte)'1') || line[8] != ' ')
        {
            return false;
        }

        var code = line.Slice(9, 3);
        if (!Utf8Parser.TryParse(code, out int status, out var used) || used != 3 || code[0] is < (byte)'1' or > (byte)'9')
        {
            return false;
        }

        var reason = ReadOnlySpan<byte>.Empty;
        if (line.Length > 12)
        {
            // The space after the code is required once a reason follows it.
            if (line[12] != ' ')
            {
                return false;
            }

            reason = line[13..];
            if (reason.ContainsAny(s_controls))
            {
                error = "a control byte in the reason phrase";
                return false;
            }
        }

        head.MinorVersion = line[7] - '0';
        head.StatusCode = status;
        head.ReasonPhrase = ReasonPhrase(status, reason);
        error = null;
        return true;
    }

    // field-line = field-name ":" OWS field-value OWS
    private static bool TryParseField(ReadOnlySpan<byte> line, ResponseHead head, out string? error)
    {
        if (line[0] is (byte)' ' or (byte)'\t')
        {
            // RFC 9112 §5.2: a proxy must reject obs-fold or replace it; rejecting is safer.
            error = "obsolete line folding in a response header";
            return false;
        }

        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || line[..colon].ContainsAnyExcept(s_token))
        {
            // Includes whitespace between the name and the colon (RFC 9112 §5.1: must reject).
            error = "an invalid response header name";
            return false;
        }

        var value = line[(colon + 1)..].Trim(" \t"u8);
        if (value.ContainsAny(s_controls))
        {
            error = "a control byte in a response header value";
            return false;
        }

        var name = line[..colon];
        if (name.EqualsIgnoreCase("Content-Length"u8))
        {
            if (!TryMergeContentLength(value, head))
            {
                error = "an invalid or conflicting Content-Length";
                return false;
            }
        }
        else if (name.EqualsIgnoreCase("Transfer-Encoding"u8))
        {
            head.HasTransferEncoding = true;
            var last = LastToken(value);
            // Several Transfer-Encoding lines form one list: only the very last coding counts.
            if (!last.IsEmpty)
            {
                head.ChunkedLast = last.EqualsIgnoreCase("chunked"u8);
            }
        }
        else if (name.EqualsIgnoreCase("Connection"u8))
        {
            ReadConnectionOptions(value, head);
        }

        // The same header at the same place in the previous response: reuse its strings.
        var index = head.Headers.Count;
        var previous = index < head.Previous.Count ? head.Previous[index] : default;
        var nameText = previous.Key is { } knownName && Ascii.Equals(name, knownName) ? knownName : Encoding.Latin1.GetString(name);
        var valueText = previous.Value is { } knownValue && Ascii.Equals(value, knownValue) ? knownValue : Encoding.Latin1.GetString(value);
        head.Headers.Add(new(nameText, valueText));
        error = null;
        return true;
    }

    /// <summary>
    /// <c>1*DIGIT</c>, or a list of the same number (RFC 9110 §8.6 allows "42, 42"), agreeing
    /// with any Content-Length before it. No sign, no empty element, at most 18 digits.
    /// </summary>
    private static bool TryMergeContentLength(ReadOnlySpan<byte> value, ResponseHead head)
    {
        if (value.IsEmpty)
        {
            return false;
        }

        foreach (var range in value.Split((byte)','))
        {
            var element = value[range].Trim(" \t"u8);
            if (element.IsEmpty || element.Length > 18 || element.ContainsAnyExceptInRange((byte)'0', (byte)'9')
                || !Utf8Parser.TryParse(element, out long length, out _))
            {
                return false;
            }

            if (head.ContentLength >= 0 && head.ContentLength != length)
            {
                return false;
            }

            head.ContentLength = length;
        }

        return true;
    }

    private static ReadOnlySpan<byte> LastToken(ReadOnlySpan<byte> list)
    {
        var comma = list.LastIndexOf((byte)',');
        var last = (comma < 0 ? list : list[(comma + 1)..]).Trim(" \t"u8);
        return last;
    }

    /// <summary>
    /// <c>close</c> ends the connection after this response; any option besides close,
    /// keep-alive and upgrade names a header that is hop-by-hop (looked for by the relay only
    /// then, so the usual <c>Connection: keep-alive</c> costs no second pass over the headers).
    /// </summary>
    private static void ReadConnectionOptions(ReadOnlySpan<byte> list, ResponseHead head)
    {
        foreach (var range in list.Split((byte)','))
        {
            var option = list[range].Trim(" \t"u8);
            if (option.EqualsIgnoreCase("close"u8))
            {
                head.ConnectionClose = true;
            }
            else if (!option.IsEmpty && !option.EqualsIgnoreCase("keep-alive"u8) && !option.EqualsIgnoreCase("upgrade"u8))
            {
                head.ConnectionNamesHeaders = true;
            }
        }
    }

    private static bool EqualsIgnoreCase(this ReadOnlySpan<byte> span, ReadOnlySpan<byte> ascii) =>
        Ascii.EqualsIgnoreCase(span, ascii);

    /// <summary>The usual phrase for the status costs no string; any other is decoded as Latin-1.</summary>
    private static string ReasonPhrase(int status, ReadOnlySpan<byte> reason)
    {
        var usual = ReasonPhrases.GetReasonPhrase(status);
        return Ascii.Equals(reason, usual) ? usual : Encoding.Latin1.GetString(reason);
    }

    private static byte[] Controls()
    {
        var controls = new List<byte>();
        for (var b = 0; b < 0x20; b++)
        {
            if (b != '\t')
            {
                controls.Add((byte)b);
            }
        }

        controls.Add(0x7F);
        return [.. controls];
    }
}
