using System.IO.Pipelines;
using System.Net;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// Streams the client's request body to the backend as it arrives, segment by segment from
/// Kestrel's pipe, never holding more than what is in flight. Remembers whether sending started,
/// because only a body that was never read can be sent again to another backend.
/// </summary>
internal sealed class RequestBodyContent(PipeReader body) : HttpContent
{
    /// <summary>Set once the backend asked for the body; from then on a retry could not resend it.</summary>
    public bool Started { get; private set; }

    /// <summary>Whether the client's content headers were copied here (by the first attempt).</summary>
    public bool HeadersCopied { get; set; }

    /// <summary>Set when reading the client's body failed: the client's fault, not the backend's.</summary>
    public Exception? ClientError { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        Started = true;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await body.ReadAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ClientError = e;
                throw;
            }

            var buffer = result.Buffer;
            foreach (var segment in buffer)
            {
                await stream.WriteAsync(segment, cancellationToken);
            }

            body.AdvanceTo(buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }

            // Pass what arrived on now, so a slow uploader's chunks reach the backend as they come.
            await stream.FlushAsync(cancellationToken);
        }
    }

    // The client's Content-Length (when it sent one) is copied as a header; otherwise the body is
    // sent chunked, just as it arrived.
    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
