using System.Buffers.Text;
using System.Text;

namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>
/// Writes the head of an HTTP/1.1 request for a RequestSpec: request line, Host, Content-Length
/// when there is a body, Connection: close when every request gets a new connection. Nothing
/// else: the same headers HttpClient sends for these requests (it adds none by default).
/// </summary>
internal sealed class RequestHeadWriter
{
    private readonly Uri _target;
    private readonly byte[] _host;
    private readonly byte[] _end;

    public RequestHeadWriter(Uri target, bool connectionClose)
    {
        _target = target;
        // IdnHost gives an IPv6 address without its brackets; the Host header needs them.
        var host = target.HostNameType == UriHostNameType.IPv6 ? $"[{target.IdnHost}]" : target.IdnHost;
        var authority = target.IsDefaultPort ? host : $"{host}:{target.Port}";
        _host = Encoding.ASCII.GetBytes($" HTTP/1.1\r\nHost: {authority}\r\n");
        _end = connectionClose ? "Connection: close\r\n\r\n"u8.ToArray() : "\r\n"u8.ToArray();
    }

    /// <summary>Writes the head into <paramref name="destination"/>; its length, or -1 when it does not fit.</summary>
    public int Write(RequestSpec spec, Span<byte> destination)
    {
        // Resolved against the target as HttpClient would (a base path, escaping), then sent as is.
        var path = new Uri(_target, spec.Path).PathAndQuery;
        var length = 0;
        if (!Append(Encoding.ASCII, spec.Method, destination, ref length) || !Append(" "u8, destination, ref length)
            || !Append(Encoding.ASCII, path, destination, ref length) || !Append(_host, destination, ref length))
        {
            return -1;
        }

        if (spec.BodyBytes > 0)
        {
            if (!Append("Content-Length: "u8, destination, ref length) || !Utf8Formatter.TryFormat(spec.BodyBytes, destination[length..], out var digits))
            {
                return -1;
            }

            length += digits;
            if (!Append("\r\n"u8, destination, ref length))
            {
                return -1;
            }
        }

        return Append(_end, destination, ref length) ? length : -1;
    }

    private static bool Append(ReadOnlySpan<byte> bytes, Span<byte> destination, ref int length)
    {
        if (!bytes.TryCopyTo(destination[length..]))
        {
            return false;
        }

        length += bytes.Length;
        return true;
    }

    private static bool Append(Encoding ascii, string text, Span<byte> destination, ref int length)
    {
        if (!ascii.TryGetBytes(text, destination[length..], out var written))
        {
            return false;
        }

        length += written;
        return true;
    }
}
