using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using RoundRobinLab.Proxy.Balancing;
using RoundRobinLab.Proxy.Forwarding;

namespace RoundRobinLab.Proxy.Upstream;

/// <summary>
/// Writes the HTTP/1.1 request head a backend gets straight into the connection's output: the
/// request line (the backend's path prefix, then the client's target byte for byte), <c>Host</c>
/// (the backend's own, as nginx's <c>proxy_pass</c> sends), the headers
/// <see cref="OutgoingHeaders"/> decides on (the same policy as the <c>HttpClient</c> path), and
/// the body's framing. No <c>HttpRequestMessage</c> and no header strings of our own: every
/// string is Kestrel's, encoded as Latin-1 (the check before guarantees each char fits a byte).
/// </summary>
internal static class RequestHeadWriter
{
    /// <summary>The part that depends on the backend: the request line and <c>Host</c>.</summary>
    public static void WriteRequestLine(IBufferWriter<byte> output, string method, Backend backend, string target)
    {
        var sink = new BufferSink(output);
        sink.Write(method);
        sink.Write(" "u8);
        sink.Write(backend.PathPrefix);
        sink.Write(target);
        sink.Write(" HTTP/1.1\r\nHost: "u8);
        sink.Write(backend.Authority);
        sink.Write("\r\n"u8);
    }

    /// <summary>
    /// The part that does not, written once per request before a backend is chosen (so that a
    /// malformed request is refused without blaming one) and copied after each attempt's
    /// request line: the header fields, the body's framing and the empty line.
    /// </summary>
    /// <param name="upgrade">The client's Upgrade token, for a WebSocket request: Connection and Upgrade are hop-by-hop, so they are written anew for this hop.</param>
    public static ProxyError? WriteHeaders(IBufferWriter<byte> output, HttpContext context, ForwardedHeaders forwarded, bool chunkedBody, string? upgrade = null)
    {
        var sink = new BufferSink(output);
        if (OutgoingHeaders.Visit(context, forwarded, ref sink) is { } invalid)
        {
            return invalid;
        }

        if (chunkedBody)
        {
            sink.Write("Transfer-Encoding: chunked\r\n"u8);
        }

        if (upgrade is not null)
        {
            sink.Write("Connection: Upgrade\r\nUpgrade: "u8);
            sink.Write(upgrade);
            sink.Write("\r\n"u8);
        }

        sink.Write("\r\n"u8);
        return null;
    }

    /// <summary>One field line per value, so repeated headers stay as the client sent them.</summary>
    private readonly struct BufferSink(IBufferWriter<byte> output) : IHeaderSink
    {
        public void Add(string name, StringValues values)
        {
            foreach (var value in values)
            {
                Write(name);
                Write(": "u8);
                Write(value ?? "");
                Write("\r\n"u8);
            }
        }

        public void Write(string text)
        {
            var span = output.GetSpan(text.Length);
            output.Advance(Encoding.Latin1.GetBytes(text, span));
        }

        public void Write(ReadOnlySpan<byte> bytes) => output.Write(bytes);
    }
}
