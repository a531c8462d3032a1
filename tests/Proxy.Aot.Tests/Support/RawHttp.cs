using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace RoundRobinLab.Proxy.Tests.Support;

/// <summary>
/// Speaks HTTP/1.1 over a bare socket, for what HttpClient will not send: absolute-form targets,
/// malformed bodies and headers, raw header bytes, and a client that waits for 100 Continue itself.
/// Text is Latin-1 both ways, so every byte maps to one char.
/// </summary>
internal sealed partial class RawHttp : IAsyncDisposable
{
    private readonly TcpClient _client = new();
    private readonly StringBuilder _received = new();
    private NetworkStream _stream = null!;

    public static async Task<RawHttp> ConnectAsync(Uri address)
    {
        var raw = new RawHttp();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await raw._client.ConnectAsync(address.Host, address.Port, timeout.Token);
        raw._stream = raw._client.GetStream();
        return raw;
    }

    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public Task SendAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    /// <summary>Reads until <paramref name="marker"/> has arrived, the peer closes, or 10 s pass.</summary>
    public async Task<string> ReadUntilAsync(string marker)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[8192];
        while (!_received.ToString().Contains(marker, StringComparison.Ordinal))
        {
            var read = await _stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            _received.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        var text = _received.ToString();
        _received.Clear();
        return text;
    }

    /// <summary>
    /// Reads one response with a Content-Length body (or none), leaving the connection open for
    /// the next; null when the peer closed the connection first.
    /// </summary>
    public async Task<string?> ReadResponseAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[8192];
        while (true)
        {
            var text = _received.ToString();
            var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headEnd >= 0)
            {
                var length = ContentLength().Match(text[..headEnd]) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                var total = headEnd + 4 + length;
                if (text.Length >= total)
                {
                    _received.Remove(0, total);
                    return text[..total];
                }
            }

            var read = await _stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                return null;
            }

            _received.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }
    }

    /// <summary>Reads everything until the peer closes the connection (send Connection: close).</summary>
    public Task<string> ReadToEndAsync() => ReadUntilAsync("\uFFFF never");

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }

    [GeneratedRegex(@"(?im)^content-length:\s*(\d+)\s*$")]
    private static partial Regex ContentLength();
}
