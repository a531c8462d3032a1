using System.IO.Pipelines;
using System.Net;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>
/// Streams the client's request body to the backend as it arrives, segment by segment from
/// Kestrel's pipe, never holding more than what is in flight. Remembers whether sending started,
/// because only a body that was never read can be sent again to another backend, and keeps the
/// copy's task, because a backend may answer (or fail) while the copy still reads from the client:
/// the copy must be stopped and awaited before the request ends, or Kestrel's own drain of the
/// body collides with our pending read and the client's keep-alive connection is lost.
/// </summary>
internal sealed class RequestBodyContent(PipeReader body, UpstreamTimer timer) : HttpContent
{
    private Task _copy = Task.CompletedTask;

    /// <summary>Set once the backend asked for the body; from then on a retry could not resend it.</summary>
    public bool Started { get; private set; }

    /// <summary>Whether the client's content headers were copied here (by the first attempt).</summary>
    public bool HeadersCopied { get; set; }

    /// <summary>Set when reading the client's body failed: the client's fault, not the backend's.</summary>
    public Exception? ClientError { get; private set; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        _copy = CopyAsync(stream, cancellationToken);

    /// <summary>Whether the copy to the backend is still under way.</summary>
    public bool CopyRunning => !_copy.IsCompleted;

    /// <summary>Stops a copy that is still running (the exchange is over) and waits for it to let go of the client's pipe.</summary>
    public async ValueTask StopAsync()
    {
        if (_copy.IsCompleted)
        {
            return;
        }

        body.CancelPendingRead();
        try
        {
            await _copy;
        }
        catch (Exception)
        {
            // The exchange is already decided; how the abandoned copy ended changes nothing.
        }
    }

    private async Task CopyAsync(Stream stream, CancellationToken cancellationToken)
    {
        Started = true;
        // The client's body is never read with a token: a read that a token cancels leaves
        // Kestrel's body reader mid-read for good, and Kestrel then cannot drain the rest of the
        // body, so the client's connection is closed. CancelPendingRead ends a read cleanly.
        using var stop = cancellationToken.UnsafeRegister(static reader => ((PipeReader)reader!).CancelPendingRead(), body);
        while (true)
        {
            ReadResult result;
            try
            {
                timer.WaitingOnClient(true);
                result = await body.ReadAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                ClientError = e;
                throw;
            }
            finally
            {
                timer.WaitingOnClient(false);
            }

            // Every read is matched by an AdvanceTo, whatever happens next: Kestrel drains what
            // is left of the body after the request ends, and cannot while a read is unmatched.
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            try
            {
                if (result.IsCanceled)
                {
                    throw new OperationCanceledException("The request body copy was stopped.");
                }

                foreach (var segment in buffer)
                {
                    await stream.WriteAsync(segment, cancellationToken);
                    timer.Progress();
                }

                consumed = buffer.End;
            }
            finally
            {
                body.AdvanceTo(consumed);
            }

            if (result.IsCompleted)
            {
                timer.RequestSent();
                return;
            }

            // Pass what arrived on now, so a slow uploader's chunks reach the backend as they come.
            await stream.FlushAsync(cancellationToken);
            timer.Progress();
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
