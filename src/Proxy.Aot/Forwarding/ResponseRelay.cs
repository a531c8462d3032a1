using System.Runtime.CompilerServices;
using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using RoundRobinLab.Proxy.Upstream;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>How relaying a response ended.</summary>
internal enum RelayResult
{
    Complete,

    /// <summary>The backend's fault: a broken body, bad chunked coding, an idle timeout.</summary>
    BackendFailed,

    /// <summary>The client went away; nobody's fault that counts.</summary>
    ClientGone,
}

/// <summary>
/// Copies a backend's response to the client: status, end-to-end headers byte for byte (Latin-1
/// both ways, so obs-text survives), and the body as it arrives, by its framing. A response that
/// cannot be relayed becomes a 502 while nothing has reached the client; after that, a cut
/// connection, so a body is never silently short.
/// </summary>
internal static class ResponseRelay
{
    private const long LargeBody = 64 * 1024;
    private const int LargeReadSize = 16 * 1024;

    /// <summary>Status and headers; returns the error to answer instead when they cannot be relayed.</summary>
    public static ProxyError? CopyHead(HttpContext context, ResponseHead upstream)
    {
        var status = upstream.StatusCode;
        if (status < StatusCodes.Status200OK)
        {
            // Interim answers are read over before this; a 101 means the backend switched
            // protocols though no Upgrade was forwarded (YARP: 502 too).
            return ProxyError.BackendSwitchedProtocols;
        }

        var response = context.Response;
        response.StatusCode = status;
        if (upstream.ReasonPhrase is { Length: > 0 } phrase && !ReferenceEquals(phrase, ReasonPhrases.GetReasonPhrase(status)))
        {
            context.Features.GetRequiredFeature<IHttpResponseFeature>().ReasonPhrase = phrase;
        }

        var headers = upstream.Headers;
        List<string>? namedInConnection = null;
        if (upstream.ConnectionNamesHeaders)
        {
            foreach (var header in headers)
            {
                if (header.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase) && HopByHopHeaders.NamedIn(header.Value) is { } named)
                {
                    (namedInConnection ??= []).AddRange(named);
                }
            }
        }

        var destination = response.Headers;
        try
        {
            foreach (var header in headers)
            {
                if (HopByHopHeaders.IsHopByHop(header.Key, namedInConnection))
                {
                    continue;
                }

                // RFC 9112 §6.3: with Transfer-Encoding, Content-Length is to be ignored; the
                // body is relayed de-chunked and Kestrel frames it anew.
                if (upstream.HasTransferEncoding && header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                // Append keeps repeated headers (several Set-Cookie) as separate lines.
                destination.Append(header.Key, header.Value);
            }
        }
        catch (InvalidOperationException)
        {
            // Kestrel refuses a header it cannot write; relaying the response without it would
            // change its meaning.
            return ProxyError.ResponseHeaderInvalid;
        }

        if (status == StatusCodes.Status204NoContent)
        {
            // RFC 9110 §8.6: no Content-Length on 204.
            destination.ContentLength = null;
        }

        return null;
    }

    /// <summary>
    /// Streams the body as <paramref name="framing"/> delimits it, restarting the idle timer with
    /// every read. On <see cref="RelayResult.BackendFailed"/> nothing is written: the caller
    /// counts the failure first, then answers.
    /// </summary>
    public static ValueTask<RelayResult> CopyBodyAsync(HttpContext context, UpstreamConnection connection, BodyFraming framing, UpstreamTimer timer) => framing switch
    {
        BodyFraming.ContentLength => CopyCountedAsync(context, connection, connection.Head.ContentLength, timer),
        BodyFraming.UntilClose => CopyCountedAsync(context, connection, -1, timer),
        BodyFraming.Chunked => CopyChunkedAsync(context, connection, timer),
        _ => ValueTask.FromResult(RelayResult.Complete),
    };

    /// <summary><paramref name="length"/> bytes, or until the backend closes when it is -1.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<RelayResult> CopyCountedAsync(HttpContext context, UpstreamConnection connection, long length, UpstreamTimer timer)
    {
        var token = timer.Token;
        var writer = context.Response.BodyWriter;
        long copied = 0;
        while (length < 0 || copied < length)
        {
            // Small bodies go straight into Kestrel's own pipe block (4 KiB): asking every
            // response for 16 KiB made each connection hold a larger buffer. Large bodies, once
            // past 64 KiB, 16 KiB at a time: four times fewer reads.
            var memory = writer.GetMemory(copied < LargeBody ? 0 : LargeReadSize);
            if (length >= 0 && memory.Length > length - copied)
            {
                memory = memory[..(int)(length - copied)];
            }

            int read;
            try
            {
                read = await connection.ReadAsync(memory, token);
            }
            catch (Exception)
            {
                return timer.ClientAborted ? RelayResult.ClientGone : RelayResult.BackendFailed;
            }

            if (read == 0)
            {
                // The end of a close-delimited body; for a counted one, the body broke off.
                return length < 0 ? RelayResult.Complete : RelayResult.BackendFailed;
            }

            timer.Progress();
            writer.Advance(read);
            copied += read;
            if (connection.BufferedLength == 0 && await FlushAsync(context, writer, timer) is { } gone)
            {
                return gone;
            }
        }

        return RelayResult.Complete;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<RelayResult> CopyChunkedAsync(HttpContext context, UpstreamConnection connection, UpstreamTimer timer)
    {
        var token = timer.Token;
        var writer = context.Response.BodyWriter;
        var decoder = new ChunkedDecoder();
        var unflushed = false;
        while (true)
        {
            var status = decoder.Decode(connection.Buffered, out var data, out var consumed, out _);
            switch (status)
            {
                case ChunkStatus.Data:
                    foreach (var segment in data)
                    {
                        writer.Write(segment.Span);
                    }

                    connection.Consume(consumed);
                    unflushed = true;
                    continue;

                case ChunkStatus.Done:
                    connection.Consume(consumed);
                    return RelayResult.Complete;

                case ChunkStatus.Invalid:
                    // Bytes already handed to Kestrel cannot be taken back: send them, so that
                    // the response has started and the failure reaches the client as a cut
                    // connection (replacing a response with unflushed body bytes would be a 500).
                    if (unflushed)
                    {
                        await FlushAsync(context, writer, timer);
                    }

                    return RelayResult.BackendFailed;
            }

            // Everything buffered is decoded: pass it on before waiting for more, so that a
            // backend streaming events reaches the client as it sends them.
            connection.Consume(consumed);
            if (unflushed)
            {
                unflushed = false;
                if (await FlushAsync(context, writer, timer) is { } gone)
                {
                    return gone;
                }
            }

            int read;
            try
            {
                read = await connection.FillAsync(token);
            }
            catch (Exception)
            {
                return timer.ClientAborted ? RelayResult.ClientGone : RelayResult.BackendFailed;
            }

            if (read == 0)
            {
                return RelayResult.BackendFailed;
            }

            timer.Progress();
        }
    }

    /// <summary>Null when the bytes went on, else how the client went away.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<RelayResult?> FlushAsync(HttpContext context, PipeWriter writer, UpstreamTimer timer)
    {
        FlushResult flush;
        timer.WaitingOnClient(true);
        try
        {
            flush = await writer.FlushAsync(context.RequestAborted);
        }
        catch (Exception)
        {
            return RelayResult.ClientGone;
        }
        finally
        {
            timer.WaitingOnClient(false);
        }

        return flush.IsCompleted || flush.IsCanceled ? RelayResult.ClientGone : null;
    }
}
