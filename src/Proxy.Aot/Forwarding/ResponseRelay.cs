using System.IO.Pipelines;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace RoundRobinLab.Proxy.Forwarding;

/// <summary>How relaying a response ended.</summary>
internal enum RelayResult
{
    Complete,

    /// <summary>The backend's fault: an answer that cannot be relayed, a broken body, an idle timeout.</summary>
    BackendFailed,

    /// <summary>The client went away; nobody's fault that counts.</summary>
    ClientGone,
}

/// <summary>
/// Copies a backend's response to the client: status, end-to-end headers byte for byte (Latin-1
/// both ways, so obs-text survives), and the body as it arrives. A response that cannot be relayed
/// becomes a 502 while nothing has reached the client; after that, a cut connection, so a body is
/// never silently short.
/// </summary>
internal static class ResponseRelay
{
    private const long LargeBody = 64 * 1024;
    private const int LargeReadSize = 16 * 1024;

    /// <summary>Status and headers; returns the error to answer instead when they cannot be relayed.</summary>
    public static ProxyError? CopyHead(HttpContext context, HttpResponseMessage upstream)
    {
        var status = (int)upstream.StatusCode;
        if (status < StatusCodes.Status200OK)
        {
            // SocketsHttpHandler consumes 100 and other interim answers; a 101 it hands over means
            // the backend switched protocols though no Upgrade was forwarded (YARP: 502 too).
            return ProxyError.BackendSwitchedProtocols;
        }

        var response = context.Response;
        response.StatusCode = status;
        if (upstream.ReasonPhrase is { } phrase && phrase != ReasonPhrases.GetReasonPhrase(status))
        {
            context.Features.GetRequiredFeature<IHttpResponseFeature>().ReasonPhrase = phrase;
        }

        var namedInConnection = upstream.Headers.NonValidated.TryGetValues("Connection", out var connection)
            ? HopByHopHeaders.NamedIn(ToStringValues(connection))
            : null;
        try
        {
            // RFC 9112 §6.3: with Transfer-Encoding (a response header, so seen in the first
            // pass), Content-Length is to be ignored; the body arrives de-chunked and Kestrel
            // frames it anew.
            var chunked = CopyHeaders(upstream.Headers.NonValidated, response.Headers, namedInConnection, skipContentLength: false);
            CopyHeaders(upstream.Content.Headers.NonValidated, response.Headers, namedInConnection, skipContentLength: chunked);
        }
        catch (InvalidOperationException)
        {
            // Kestrel refuses a header it cannot write (an invalid name, or a control character
            // in the value); relaying the response without it would change its meaning.
            return ProxyError.ResponseHeaderInvalid;
        }

        if (status == StatusCodes.Status204NoContent)
        {
            // RFC 9110 §8.6: no Content-Length on 204.
            response.Headers.ContentLength = null;
        }

        return null;
    }

    public static bool HasNoBody(HttpContext context, int status) =>
        HttpMethods.IsHead(context.Request.Method) || status is StatusCodes.Status204NoContent or StatusCodes.Status304NotModified;

    /// <summary>
    /// Streams the body, restarting the idle timer with every read. On
    /// <see cref="RelayResult.BackendFailed"/> nothing is written: the caller counts the failure
    /// first, then answers.
    /// </summary>
    public static async Task<RelayResult> CopyBodyAsync(HttpContext context, HttpResponseMessage upstream, UpstreamTimer timer)
    {
        var token = timer.Token;
        var writer = context.Response.BodyWriter;
        Stream body;
        try
        {
            body = await upstream.Content.ReadAsStreamAsync(token);
        }
        catch (Exception) when (!timer.ClientAborted)
        {
            return RelayResult.BackendFailed;
        }
        catch (Exception)
        {
            return RelayResult.ClientGone;
        }

        long copied = 0;
        while (true)
        {
            int read;
            try
            {
                // Small bodies read straight into Kestrel's own pipe block (4 KiB): asking
                // every response for 16 KiB made each connection hold a larger buffer (peak
                // RSS 50 → 34 MB at 50 connections). Large bodies, once past 64 KiB, read
                // 16 KiB at a time: four times fewer reads (1 MiB responses: 1.0× → 1.4× nginx).
                read = await body.ReadAsync(writer.GetMemory(copied < LargeBody ? 0 : LargeReadSize), token);
            }
            catch (Exception) when (!timer.ClientAborted)
            {
                return RelayResult.BackendFailed;
            }
            catch (Exception)
            {
                return RelayResult.ClientGone;
            }

            if (read == 0)
            {
                return RelayResult.Complete;
            }

            timer.Progress();
            writer.Advance(read);
            copied += read;
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

            if (flush.IsCompleted || flush.IsCanceled)
            {
                return RelayResult.ClientGone;
            }
        }
    }

    /// <summary>Copies the end-to-end headers; returns whether a Transfer-Encoding was among those skipped.</summary>
    private static bool CopyHeaders(HttpHeadersNonValidated source, IHeaderDictionary destination, List<string>? namedInConnection, bool skipContentLength)
    {
        var transferEncoding = false;
        foreach (var header in source)
        {
            if (HopByHopHeaders.IsHopByHop(header.Key, namedInConnection))
            {
                transferEncoding |= header.Key.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase);
                continue;
            }

            if (skipContentLength && header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            // Append keeps repeated headers (several Set-Cookie) as separate lines.
            destination.Append(header.Key, ToStringValues(header.Value));
        }

        return transferEncoding;
    }

    private static StringValues ToStringValues(HeaderStringValues values)
    {
        if (values.Count == 1)
        {
            foreach (var value in values)
            {
                return value;
            }
        }

        var array = new string[values.Count];
        var i = 0;
        foreach (var value in values)
        {
            array[i++] = value;
        }

        return array;
    }
}
