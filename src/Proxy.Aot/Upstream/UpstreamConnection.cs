using System.Runtime.CompilerServices;
using System.Buffers;
using System.Net.Sockets;

namespace RoundRobinLab.Proxy.Upstream;

/// <summary>
/// One HTTP/1.1 connection to a backend: a stream (a socket, or TLS over one), the bytes received
/// and not yet consumed, and a buffer the request head is assembled in so that it leaves in one
/// write. Used by one exchange at a time; kept alive between them in the backend's
/// <see cref="ConnectionPool"/>.
/// </summary>
internal sealed class UpstreamConnection : IDisposable
{
    // A typical response head fits with room for a small body, so one read usually brings the
    // whole answer; a larger head grows the buffer up to the parser's bound.
    private const int InitialBufferSize = 4 * 1024;
    private const int MaxBufferSize = ResponseHeadParser.MaxHeadBytes + InitialBufferSize;

    private readonly Socket? _socket;
    private readonly Stream _stream;
    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private byte[] _buffer = new byte[InitialBufferSize];
    private int _start;
    private int _end;
    private bool _disposed;

    /// <param name="socket">The socket under <paramref name="stream"/>, to look at while idle; null for streams with none (tests, benchmarks).</param>
    public UpstreamConnection(Stream stream, Socket? socket)
    {
        _stream = stream;
        _socket = socket;
    }

    /// <summary>Set once the connection has carried an exchange: a failure with no answer may then mean the backend closed it while it was idle.</summary>
    public bool Reused { get; set; }

    /// <summary>When it went back to the pool (<see cref="Environment.TickCount64"/>).</summary>
    public long IdleSince { get; set; }

    /// <summary>The response being received; reused for the next one.</summary>
    public ResponseHead Head { get; } = new();

    /// <summary>Where the next request head is written; <see cref="SendOutputAsync"/> sends and clears it.</summary>
    public ArrayBufferWriter<byte> Output => _output;

    /// <summary>Bytes received and not consumed yet.</summary>
    public ReadOnlySequence<byte> Buffered => new(_buffer, _start, _end - _start);

    public int BufferedLength => _end - _start;

    public void Consume(long count)
    {
        _start += (int)count;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    /// <summary>Consumes up to <paramref name="position"/>, a position in <see cref="Buffered"/>.</summary>
    public void Consume(SequencePosition position) => Consume(Buffered.Slice(0, position).Length);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendOutputAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WriteAsync(_output.WrittenMemory, cancellationToken);
        }
        finally
        {
            _output.ResetWrittenCount();
        }
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) => _stream.WriteAsync(bytes, cancellationToken);

    /// <summary>
    /// Receives more bytes after those buffered (making room first); returns how many, 0 when the
    /// backend closed the connection or the buffer is at its bound (check <see cref="BufferedLength"/>).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> FillAsync(CancellationToken cancellationToken)
    {
        if (_end == _buffer.Length)
        {
            if (_start > 0)
            {
                // Move what is left to the front: the decoders consume from the start.
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            else if (_buffer.Length < MaxBufferSize)
            {
                Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxBufferSize));
            }
            else
            {
                return 0;
            }
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        _end += read;
        return read;
    }

    /// <summary>Body bytes into <paramref name="destination"/>: those buffered first, then straight from the stream (no copy through the buffer).</summary>
    public ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_end > _start)
        {
            var count = Math.Min(destination.Length, _end - _start);
            _buffer.AsSpan(_start, count).CopyTo(destination.Span);
            Consume(count);
            return new(count);
        }

        return _stream.ReadAsync(destination, cancellationToken);
    }

    /// <summary>
    /// Whether an idle connection can carry a request: nothing may have arrived on it, since an
    /// idle HTTP/1.1 connection only becomes readable when the backend closes it (or misbehaves).
    /// One non-blocking poll.
    /// </summary>
    public bool LooksUsable()
    {
        if (_disposed || _end > _start)
        {
            return false;
        }

        try
        {
            return _socket is null || !_socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _stream.Dispose();
    }
}
