using System.IO.Pipelines;
using RoundRobinLab.Proxy.Forwarding;

namespace RoundRobinLab.Proxy.Upstream;

/// <summary>
/// Streams the client's request body to the backend as it arrives, segment by segment from
/// Kestrel's pipe, never holding more than what is in flight: as it came when the client gave a
/// Content-Length, chunked otherwise. It runs beside the reading of the response, because a
/// backend may answer (or fail) before it has the whole body; so it remembers whether it began
/// (only a body that was never read can go to another backend) and whether it finished (only then
/// can the connection carry another request), and it is stopped and awaited before the request
/// ends, or Kestrel's own drain of the body collides with our pending read and the client's
/// keep-alive connection is lost.
/// <para>
/// <c>Expect: 100-continue</c> is the backend's question to answer: the body is not read (so
/// Kestrel sends the client no 100) until the backend sends its 100, or for at most
/// <see cref="ContinueTimeout"/> (the wait <c>HttpClient</c> and curl allow a server that ignores
/// the expectation); a final answer before that means the client's body is never read at all.
/// </para>
/// </summary>
internal sealed class RequestBody(PipeReader body, UpstreamTimer timer, bool chunked)
{
    public static readonly TimeSpan ContinueTimeout = TimeSpan.FromSeconds(1);

    private static readonly byte[] s_lastChunk = "0\r\n\r\n"u8.ToArray();

    private const int Waiting = 0;
    private const int Reading = 1;
    private const int Abandoned = 2;

    private Task _copy = Task.CompletedTask;
    private TaskCompletionSource? _continue;
    // Waiting → Reading (the copy begins) or Waiting → Abandoned (an answer or the end came
    // first), decided once with a compare-exchange, so that a copy never begins reading after
    // StopAsync looked and found nothing to cancel.
    private int _state;
    private volatile bool _responseArrived;

    /// <summary>Set once the client's body is being read; from then on a retry could not send it again.</summary>
    public bool Started => Volatile.Read(ref _state) == Reading;

    /// <summary>Set once the whole body reached the backend.</summary>
    public bool Sent { get; private set; }

    /// <summary>Set when reading the client's body failed: the client's fault, not the backend's.</summary>
    public Exception? ClientError { get; private set; }

    /// <summary>Whether the copy to the backend is still under way.</summary>
    public bool CopyRunning => !_copy.IsCompleted;

    /// <summary>Begins copying to <paramref name="connection"/> (whose request head is sent); returns at once.</summary>
    public void Start(UpstreamConnection connection, bool awaitContinue, CancellationToken cancellationToken)
    {
        _state = Waiting;
        _responseArrived = false;
        // Continuations run inline: on a 100 the copy begins reading (and Kestrel sends the
        // client its own 100) before the response reader goes on.
        _continue = awaitContinue ? new TaskCompletionSource() : null;
        _copy = CopyAsync(connection, cancellationToken);
    }

    /// <summary>The backend sent <c>100 Continue</c>.</summary>
    public void Continue() => _continue?.TrySetResult();

    /// <summary>The final response head arrived: a copy still waiting for a 100 never begins.</summary>
    public void ResponseArrived()
    {
        _responseArrived = true;
        if (Interlocked.CompareExchange(ref _state, Abandoned, Waiting) == Waiting)
        {
            _continue?.TrySetResult();
        }
    }

    /// <summary>Stops a copy that is still running (the exchange is over) and waits for it to let go of the client's pipe.</summary>
    public async ValueTask StopAsync()
    {
        if (_copy.IsCompleted)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _state, Abandoned, Waiting) == Waiting)
        {
            _continue?.TrySetResult();
        }
        else
        {
            body.CancelPendingRead();
        }

        try
        {
            await _copy;
        }
        catch (Exception)
        {
            // The exchange is already decided; how the abandoned copy ended changes nothing.
        }
    }

    private async Task CopyAsync(UpstreamConnection connection, CancellationToken cancellationToken)
    {
        if (_continue is not null)
        {
            try
            {
                await _continue.Task.WaitAsync(ContinueTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                // The backend ignores the expectation: send the body anyway.
            }

        }

        if (Interlocked.CompareExchange(ref _state, Reading, Waiting) != Waiting)
        {
            return;
        }

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
                // The backend may be waiting for the rest of a body that will never come: end
                // the exchange (unless its answer is already being relayed).
                if (!_responseArrived)
                {
                    timer.Cancel();
                }

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

                if (!buffer.IsEmpty)
                {
                    if (chunked)
                    {
                        // One write per chunk: size line, data and CRLF assembled together.
                        var output = connection.Output;
                        ChunkFraming.WriteChunk(output, buffer);
                        await connection.SendOutputAsync(cancellationToken);
                    }
                    else
                    {
                        foreach (var segment in buffer)
                        {
                            await connection.WriteAsync(segment, cancellationToken);
                        }
                    }

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
                if (chunked)
                {
                    await connection.WriteAsync(s_lastChunk, cancellationToken);
                }

                Sent = true;
                timer.RequestSent();
                return;
            }
        }
    }
}
