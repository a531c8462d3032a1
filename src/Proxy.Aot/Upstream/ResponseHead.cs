namespace RoundRobinLab.Proxy.Upstream;

/// <summary>How a response body is delimited (RFC 9112 §6.3).</summary>
internal enum BodyFraming
{
    /// <summary>No body: a HEAD request, or a 1xx, 204 or 304 answer.</summary>
    None,

    ContentLength,

    Chunked,

    /// <summary>The body runs until the backend closes the connection.</summary>
    UntilClose,
}

/// <summary>
/// One parsed HTTP/1.x response head: status, reason, headers as the backend sent them (Latin-1,
/// one entry per field line, in order) and what the framing headers mean. Reused between
/// responses on a connection (<see cref="Reset"/>).
/// </summary>
internal sealed class ResponseHead
{
    public int StatusCode { get; set; }

    public string ReasonPhrase { get; set; } = "";

    /// <summary>0 for HTTP/1.0, 1 for HTTP/1.1.</summary>
    public int MinorVersion { get; set; }

    public List<KeyValuePair<string, string>> Headers { get; } = new(16);

    /// <summary>
    /// The previous complete response's headers on this connection: a backend sends much the
    /// same ones every time, so the parser reuses their strings when the bytes are equal (as
    /// Kestrel does for request headers) instead of allocating two per header per response.
    /// </summary>
    public List<KeyValuePair<string, string>> Previous { get; } = new(16);

    /// <summary>The agreed Content-Length, or -1 when there is none.</summary>
    public long ContentLength { get; set; } = -1;

    /// <summary>A Transfer-Encoding header was present.</summary>
    public bool HasTransferEncoding { get; set; }

    /// <summary>Its last coding is chunked.</summary>
    public bool ChunkedLast { get; set; }

    /// <summary><c>Connection: close</c> was sent.</summary>
    public bool ConnectionClose { get; set; }

    /// <summary>A Connection header names other headers (hop-by-hop, not to be relayed).</summary>
    public bool ConnectionNamesHeaders { get; set; }

    /// <summary>
    /// How the body is delimited, given whether the request was HEAD. Transfer-Encoding wins over
    /// Content-Length (which is then to be dropped, RFC 9112 §6.3 rule 3).
    /// </summary>
    public BodyFraming Framing(bool headRequest)
    {
        if (headRequest || StatusCode < 200 || StatusCode is 204 or 304)
        {
            return BodyFraming.None;
        }

        if (HasTransferEncoding)
        {
            return ChunkedLast ? BodyFraming.Chunked : BodyFraming.UntilClose;
        }

        return ContentLength >= 0 ? BodyFraming.ContentLength : BodyFraming.UntilClose;
    }

    /// <summary>
    /// Whether the connection can carry another request after this response: not after
    /// <c>Connection: close</c>, an HTTP/1.0 answer, a close-delimited body, or a response that
    /// had both Content-Length and Transfer-Encoding (RFC 9112 §6.3: a possible smuggling
    /// attempt; the connection is closed after it).
    /// </summary>
    public bool KeepAlive(bool headRequest) =>
        !ConnectionClose && MinorVersion == 1 && Framing(headRequest) != BodyFraming.UntilClose
        && !(HasTransferEncoding && ContentLength >= 0);

    /// <summary>The head is complete: its headers become the ones the next response's are compared with.</summary>
    public void Remember()
    {
        Previous.Clear();
        Previous.AddRange(Headers);
    }

    public void Reset()
    {
        StatusCode = 0;
        ReasonPhrase = "";
        MinorVersion = 0;
        Headers.Clear();
        ContentLength = -1;
        HasTransferEncoding = false;
        ChunkedLast = false;
        ConnectionClose = false;
        ConnectionNamesHeaders = false;
    }
}
