using System.Buffers;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Benchmarks.Forwarding;

/// <summary>
/// A backend inside the process: each connection answers every request with the same response
/// once the request (head and Content-Length body) has been written, so a benchmark measures the
/// proxy's own work and not a network.
/// </summary>
internal static class InMemoryBackend
{
    /// <summary>Connections for <see cref="UpstreamConnector"/>, each answering with <paramref name="body"/>.</summary>
    public static ConnectStream Connect(byte[] body)
    {
        var response = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nContent-Type: text/plain\r\nX-Backend-Id: b1\r\nCache-Control: no-store\r\n\r\n")
            .Concat(body).ToArray();
        return (_, _) => ValueTask.FromResult<(Stream, System.Net.Sockets.Socket?)>((new Connection(response), null));
    }

    /// <summary>A request as Kestrel would hand it over: typical browser-ish headers, an origin-form target.</summary>
    public static DefaultHttpContext Request(string method = "GET", byte[]? body = null)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = "http";
        request.Host = new HostString("proxy.example:8080");
        request.Path = "/api/items/42";
        request.QueryString = new QueryString("?view=full");
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = "/api/items/42?view=full";
        request.Headers.Accept = "application/json";
        request.Headers.AcceptEncoding = "gzip, deflate, br";
        request.Headers.UserAgent = "Mozilla/5.0 (X11; Linux x86_64) benchmark";
        request.Headers.Cookie = "session=abc123; theme=dark";
        request.Headers.Authorization = "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig";
        request.Headers["X-Request-Id"] = "7f1c2d9e";
        request.Headers.Connection = "keep-alive";
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        if (body is not null)
        {
            request.ContentLength = body.Length;
            request.Body = new MemoryStream(body, writable: false);
        }

        context.Response.Body = Stream.Null;
        return context;
    }

    /// <summary>One connection: the response becomes readable when the request is complete.</summary>
    private sealed class Connection(byte[] response) : Stream
    {
        private readonly SemaphoreSlim _answered = new(0);
        private long _bodyLeft;
        private int _offset = -1;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_bodyLeft > 0)
            {
                _bodyLeft -= buffer.Length;
            }
            else
            {
                // A new request head: its Content-Length says how much body follows.
                var head = Encoding.Latin1.GetString(buffer);
                var at = head.IndexOf("\r\nContent-Length: ", StringComparison.OrdinalIgnoreCase);
                _bodyLeft = at < 0 ? 0 : long.Parse(head.AsSpan(at + 18, head.IndexOf('\r', at + 2) - at - 18));
            }

            if (_bodyLeft <= 0)
            {
                _answered.Release();
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return default;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_offset < 0)
            {
                await _answered.WaitAsync(cancellationToken);
                _offset = 0;
            }

            var count = Math.Min(buffer.Length, response.Length - _offset);
            response.AsSpan(_offset, count).CopyTo(buffer.Span);
            _offset += count;
            if (_offset == response.Length)
            {
                _offset = -1;
            }

            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
