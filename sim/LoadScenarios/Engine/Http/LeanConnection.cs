using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>
/// One HTTP/1.1 connection of the lean client, one request at a time, kept alive between them,
/// driven by its event loop. Each request:
/// 1. opens a non-blocking socket when there is none (the server closed the last one, or asked to);
/// 2. writes the request (EncodedRequest: the head encoded once per RequestSpec);
/// 3. reads the answer through the ResponseReader as the loop reports the socket readable;
/// 4. keeps the socket for the next request unless either side said Connection: close;
/// 5. completes the awaiting ValueTask on the loop's thread: the awaiter's code runs there, inline.
/// A request that fails on a reused socket before any byte of an answer (the server had closed
/// it while idle) is sent once more on a new socket, as HttpClient does. Failures come back as
/// ErrorKind values. The buffers are the connection's for its whole life, and the ValueTask's
/// source is the connection itself, so a request allocates nothing.
/// </summary>
internal sealed class LeanConnection(LeanHttpTransport transport, EventLoop loop) : IHttpExchanger, IValueTaskSource<ExchangeResult>
{
    private const int ReceiveBufferBytes = 16 * 1024;

    private readonly ResponseReader _reader = new(ReceiveBufferBytes);
    private readonly EncodedRequest _request = new(transport.Heads, transport.Bodies);
    // Continuations run synchronously, on the loop: that is the point of the loop.
    private ManualResetValueTaskSourceCore<ExchangeResult> _completion;
    private int _id = -1;
    private State _state;
    private Socket? _socket;
    private uint _generation;
    private bool _socketReused;
    private int _endpoint;
    private RequestSpec _spec = RequestSpec.Get();
    private ReadOnlyMemory<byte> _unsent;
    private bool _bodyUnsent;
    private int _attempt;
    private long _deadline;
    private bool _starting;
    private ExchangeResult _deferredResult;

    private enum State
    {
        Idle,
        Connecting,
        Sending,
        Receiving,
        Completing,
    }

    /// <summary>Sends <paramref name="spec"/> and reads the whole answer (any thread; one request at a time).</summary>
    public ValueTask<ExchangeResult> SendAsync(RequestSpec spec)
    {
        _spec = spec;
        _completion.Reset();
        if (loop.Stopped)
        {
            _completion.SetResult(ExchangeResult.Failed(ErrorKind.Timeout));
        }
        else
        {
            loop.Start(this);
        }

        return new ValueTask<ExchangeResult>(this, _completion.Version);
    }

    /// <summary>The user is done with this connection: back to the idle ones, socket open.</summary>
    public void Dispose() => transport.Return(this);

    public ExchangeResult GetResult(short token) => _completion.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _completion.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    /// <summary>Starts the exchange asked for by SendAsync (loop thread).</summary>
    internal void Start()
    {
        if (_id < 0)
        {
            _id = loop.Register(this);
        }

        _attempt = 0;
        _endpoint = 0;
        _deadline = Stopwatch.GetTimestamp() + transport.TimeoutTicks;
        _starting = true;
        BeginAttempt();
        _starting = false;
    }

    /// <summary>The loop reports the socket of generation <paramref name="generation"/> ready (loop thread).</summary>
    internal void OnReady(uint events, uint generation)
    {
        if (generation != _generation || _socket is null)
        {
            // An event for a socket closed since: its successor has its own.
            return;
        }

        switch (_state)
        {
            case State.Connecting when (events & (Epoll.Out | Epoll.Error | Epoll.HangUp)) != 0:
                var error = (int)_socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (error == 0)
                {
                    BeginSend();
                }
                else
                {
                    ConnectFailed();
                }

                break;
            case State.Sending:
                ContinueSend();
                break;
            case State.Receiving:
                Receive(peerClosed: (events & (Epoll.ReadHangUp | Epoll.HangUp | Epoll.Error)) != 0);
                break;
            case State.Idle when (events & (Epoll.In | Epoll.ReadHangUp | Epoll.HangUp | Epoll.Error)) != 0:
                // Nothing is asked of an idle connection: the server has closed it (keep-alive timeout).
                CloseSocket();
                break;
        }
    }

    /// <summary>Ends the exchange as timed out if its deadline has passed (loop thread, the sweep).</summary>
    internal void TimeOutIfOverdue(long now)
    {
        if (_state is State.Connecting or State.Sending or State.Receiving && now >= _deadline)
        {
            CloseSocket();
            Complete(ExchangeResult.Failed(ErrorKind.Timeout));
        }
    }

    /// <summary>The run is over: an exchange under way ends as timed out, as HttpClient's cancelled ones did (loop thread).</summary>
    internal void Abort()
    {
        CloseSocket();
        if (_state is State.Connecting or State.Sending or State.Receiving)
        {
            Complete(ExchangeResult.Failed(ErrorKind.Timeout));
        }
    }

    /// <summary>Completes an exchange that ended while it started (loop thread, its next turn).</summary>
    internal void CompleteDeferred()
    {
        _state = State.Idle;
        _completion.SetResult(_deferredResult);
    }

    private void BeginAttempt()
    {
        if (transport.Aborted)
        {
            Complete(ExchangeResult.Failed(ErrorKind.Timeout));
            return;
        }

        _reader.Reset(headRequest: _spec.Method == "HEAD");
        if (_socket is null)
        {
            Connect();
        }
        else
        {
            BeginSend();
        }
    }

    private void Connect()
    {
        var endpoints = transport.Endpoints;
        if (_endpoint >= endpoints.Length)
        {
            Complete(ExchangeResult.Failed(ErrorKind.Connect));
            return;
        }

        var (endpoint, address) = endpoints[_endpoint];
        int error;
        try
        {
            // NoDelay: a head and a large body go out as two writes, and Nagle would hold the second
            // until the server acknowledged the first (a delayed ACK: up to 40 ms). A request in one
            // write never meets Nagle (nothing is unacknowledged when it goes out), and the probe
            // (50 users, lean backend, two runs of 3 alternating rounds, medians) measured no
            // difference beyond noise: with NoDelay 82.8k and 115.0k req/s, without 97.6k and 94.6k.
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false, NoDelay = true };
            _socket = socket;
            _socketReused = false;
            _generation++;
            loop.Watch(socket, _id, _generation);
            error = Epoll.Connect(socket.Handle, address);
        }
        catch (Exception e) when (e is SocketException or System.ComponentModel.Win32Exception)
        {
            // No socket to be had (too many open files, no ports left): no connection.
            CloseSocket();
            Complete(ExchangeResult.Failed(ErrorKind.Connect));
            return;
        }

        if (error == 0)
        {
            BeginSend();
        }
        else if (error == Epoll.InProgress)
        {
            _state = State.Connecting;
        }
        else
        {
            CloseSocket();
            _endpoint++;
            Connect();
        }
    }

    private void ConnectFailed()
    {
        CloseSocket();
        _endpoint++;
        if (_endpoint < transport.Endpoints.Length)
        {
            Connect();
        }
        else
        {
            Complete(ExchangeResult.Failed(ErrorKind.Connect));
        }
    }

    private void BeginSend()
    {
        _request.Encode(_spec);
        _state = State.Sending;
        _unsent = _request.Head;
        _bodyUnsent = !_request.Body.IsEmpty;
        ContinueSend();
    }

    private void ContinueSend()
    {
        while (true)
        {
            if (_unsent.IsEmpty)
            {
                if (!_bodyUnsent)
                {
                    // Now wait for the answer: the loop reports the socket readable when it comes.
                    _state = State.Receiving;
                    return;
                }

                _unsent = _request.Body;
                _bodyUnsent = false;
            }

            var sent = _socket!.Send(_unsent.Span, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return;
            }

            if (error != SocketError.Success)
            {
                Fail(ErrorKind.Reset);
                return;
            }

            _unsent = _unsent[sent..];
        }
    }

    /// <param name="peerClosed">The server has closed or reset its side: read on to the end, as no further edge will come.</param>
    private void Receive(bool peerClosed)
    {
        while (true)
        {
            var space = _reader.FreeSpace;
            var received = _socket!.Receive(space, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return;
            }

            if (error != SocketError.Success)
            {
                Fail(ErrorKind.Reset);
                return;
            }

            if (received == 0)
            {
                if (_reader.EndOfStream())
                {
                    Finish();
                }
                else
                {
                    Fail(ErrorKind.Reset);
                }

                return;
            }

            switch (_reader.Advance(received))
            {
                case OperationStatus.Done:
                    Finish();
                    return;
                case OperationStatus.InvalidData:
                    Fail(ErrorKind.BadResponse);
                    return;
            }

            // A short read emptied the socket: the next bytes bring the next edge (and so does a
            // close, unless it came with this one). Reading on to EAGAIN would cost a call per answer.
            if (received < space.Length && !peerClosed)
            {
                return;
            }
        }
    }

    private void Finish()
    {
        if (_reader.KeepAlive && !transport.NewConnectionPerRequest)
        {
            _socketReused = true;
        }
        else
        {
            CloseSocket();
        }

        Complete(ExchangeResult.Answered(_reader.Status, _reader.Bytes, _reader.Backend));
    }

    private void Fail(ErrorKind kind)
    {
        var retry = kind == ErrorKind.Reset && _socketReused && !_reader.Started && _attempt == 0;
        CloseSocket();
        if (retry)
        {
            _attempt++;
            BeginAttempt();
            return;
        }

        Complete(ExchangeResult.Failed(kind));
    }

    /// <summary>
    /// The last thing any path does: the awaiter's code runs from here, and may start the next
    /// exchange. An exchange that ends while it starts (no connection at all, a write refused at
    /// once) completes on the loop's next turn instead: run inline, its awaiter would send again at
    /// once, and a user against a dead target would hold the loop for ever.
    /// </summary>
    private void Complete(ExchangeResult result)
    {
        if (_starting)
        {
            _state = State.Completing;
            _deferredResult = result;
            loop.Defer(this);
            return;
        }

        _state = State.Idle;
        _completion.SetResult(result);
    }

    private void CloseSocket()
    {
        // Closing the descriptor also takes it out of the epoll set.
        _socket?.Dispose();
        _socket = null;
        _socketReused = false;
    }
}
