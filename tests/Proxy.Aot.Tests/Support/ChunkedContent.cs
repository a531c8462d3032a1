using System.Net;

namespace RoundRobinLab.Proxy.Tests.Support;

/// <summary>
/// A request body of unknown length (so HttpClient sends it chunked), written in two parts with a
/// flush after each, optionally waiting between them.
/// </summary>
internal sealed class ChunkedContent(byte[] first, byte[] second) : HttpContent
{
    public Task BetweenParts { get; init; } = Task.CompletedTask;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(first);
        await stream.FlushAsync();
        await BetweenParts.WaitAsync(TimeSpan.FromSeconds(20));
        await stream.WriteAsync(second);
        await stream.FlushAsync();
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
