using System.Net.Sockets;
using System.Text;

namespace RoundRobinLab.Proxy.Tests.Support;

/// <summary>
/// Speaks HTTP/1.1 over a bare socket, for what HttpClient will not send: absolute-form targets,
/// malformed bodies, and a client that waits for 100 Continue itself.
/// </summary>
internal sealed class RawHttp : IAsyncDisposable
{
    private readonly TcpClient _client = new();
    private NetworkStream _stream = null!;

    public static async Task<RawHttp> ConnectAsync(Uri address)
    {
        var raw = new RawHttp();
        await raw._client.ConnectAsync(address.Host, address.Port);
        raw._stream = raw._client.GetStream();
        return raw;
    }

    public Task SendAsync(string text) => _stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask();

    /// <summary>Reads until <paramref name="marker"/> has arrived, the peer closes, or 10 s pass.</summary>
    public async Task<string> ReadUntilAsync(string marker)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var text = new StringBuilder();
        var buffer = new byte[8192];
        while (!text.ToString().Contains(marker, StringComparison.Ordinal))
        {
            var read = await _stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return text.ToString();
    }

    /// <summary>Reads everything until the peer closes the connection (send Connection: close).</summary>
    public Task<string> ReadToEndAsync() => ReadUntilAsync("\uFFFF never");

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }
}
