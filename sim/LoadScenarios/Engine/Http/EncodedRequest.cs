namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>
/// A connection's request bytes, encoded once per RequestSpec and reused while the spec stays
/// the same (a user of the probe sends the same request every time): the head, with the body
/// after it when both fit the buffer (one write), else the body apart (a second write).
/// </summary>
internal sealed class EncodedRequest(RequestHeadWriter heads, RequestBodies bodies)
{
    private const int BufferBytes = 4 * 1024;

    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferBytes);
    private RequestSpec? _spec;

    /// <summary>The head, and the body too when it fitted.</summary>
    public ReadOnlyMemory<byte> Head { get; private set; }

    /// <summary>The body when it did not fit with the head, else empty.</summary>
    public ReadOnlyMemory<byte> Body { get; private set; }

    public void Encode(RequestSpec spec)
    {
        if (ReferenceEquals(spec, _spec) || spec.Equals(_spec))
        {
            return;
        }

        var body = spec.BodyBytes > 0 ? bodies.Of(spec.BodyBytes) : [];
        var buffer = _buffer;
        var length = heads.Write(spec, buffer);
        if (length < 0)
        {
            // A head longer than the buffer (a very long path): an array of its own, for this spec only.
            buffer = new byte[64 * 1024];
            length = heads.Write(spec, buffer);
            if (length < 0)
            {
                throw new ArgumentException($"the request head for {spec.Method} {spec.Path} is longer than 64 KiB", nameof(spec));
            }
        }

        if (body.Length > 0 && length + body.Length <= buffer.Length)
        {
            body.CopyTo(buffer.AsSpan(length));
            length += body.Length;
            body = [];
        }

        Head = buffer.AsMemory(0, length);
        Body = body;
        _spec = spec;
    }
}
