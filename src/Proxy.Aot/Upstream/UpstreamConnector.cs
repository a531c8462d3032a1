using System.Runtime.CompilerServices;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using RoundRobinLab.Proxy.Balancing;

namespace RoundRobinLab.Proxy.Upstream;

/// <summary>Opens a stream to a backend; replaced in tests and benchmarks by an in-memory one.</summary>
internal delegate ValueTask<(Stream Stream, Socket? Socket)> ConnectStream(Backend backend, CancellationToken cancellationToken);

/// <summary>
/// Hands out connections to backends: an idle kept-alive one from the backend's
/// <see cref="ConnectionPool"/> when there is one, a new one otherwise (TCP, with TLS for
/// <c>https://</c> backends), under --connect-timeout. Closes connections idle for longer than
/// <see cref="IdleTimeout"/>, so that the proxy lets go of them before most backends would
/// (nginx's and Kestrel's own keep-alive timeouts are 75 s and 130 s).
/// </summary>
internal sealed class UpstreamConnector : IDisposable
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    private readonly TimeSpan _connectTimeout;
    private readonly ConnectStream _connect;
    // The current set: it changes at runtime (PUT /backends).
    private readonly Func<IReadOnlyList<Backend>> _backends;
    private readonly ITimer _trim;

    public UpstreamConnector(Func<IReadOnlyList<Backend>> backends, TimeSpan connectTimeout, ConnectStream? connect = null)
    {
        _backends = backends;
        _connectTimeout = connectTimeout;
        _connect = connect ?? ConnectSocketAsync;
        var period = IdleTimeout / 4;
        _trim = TimeProvider.System.CreateTimer(static state => ((UpstreamConnector)state!).Trim(), this, period, period);
    }

    /// <summary>
    /// The connection a request goes out on; throws <see cref="ConnectException"/> when none can be
    /// made. <paramref name="fresh"/>: a new one, not a kept-alive one. <paramref name="checkIdle"/>:
    /// look (one poll) whether a kept-alive one was closed meanwhile, for requests that could not
    /// go again on another connection; the others find out by trying.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<UpstreamConnection> RentAsync(Backend backend, bool fresh, bool checkIdle, CancellationToken cancellationToken)
    {
        if (!fresh)
        {
            while (backend.Connections.TryRent() is { } idle)
            {
                if (!checkIdle || idle.LooksUsable())
                {
                    return idle;
                }

                idle.Dispose();
            }
        }

        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connectTimeout.CancelAfter(_connectTimeout);
        try
        {
            var (stream, socket) = await _connect(backend, connectTimeout.Token);
            return new UpstreamConnection(stream, socket);
        }
        catch (OperationCanceledException) when (connectTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ConnectException(timedOut: true, null, _connectTimeout);
        }
        catch (Exception e) when (e is SocketException or IOException or System.Security.Authentication.AuthenticationException)
        {
            throw new ConnectException(timedOut: false, e, _connectTimeout);
        }
    }

    private void Trim()
    {
        var before = Environment.TickCount64 - (long)IdleTimeout.TotalMilliseconds;
        foreach (var backend in _backends())
        {
            backend.Connections.Trim(before);
        }
    }

    private static async ValueTask<(Stream, Socket?)> ConnectSocketAsync(Backend backend, CancellationToken cancellationToken)
    {
        var address = backend.Address;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            // Dual-mode socket: IPv4 and IPv6 literals and names (every address a name resolves to, in turn).
            if (IPAddress.TryParse(address.IdnHost, out var ip))
            {
                await socket.ConnectAsync(new IPEndPoint(ip, address.Port), cancellationToken);
            }
            else
            {
                await socket.ConnectAsync(address.IdnHost, address.Port, cancellationToken);
            }

            Stream stream = new NetworkStream(socket, ownsSocket: true);
            if (address.Scheme == Uri.UriSchemeHttps)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = address.IdnHost,
                    ApplicationProtocols = [SslApplicationProtocol.Http11],
                }, cancellationToken);
            }

            return (stream, socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _trim.Dispose();
        foreach (var backend in _backends())
        {
            backend.Connections.Trim(long.MaxValue);
        }
    }
}

/// <summary>No connection to the backend could be made: nothing was sent.</summary>
internal sealed class ConnectException(bool timedOut, Exception? inner, TimeSpan connectTimeout)
    : Exception(timedOut ? string.Create(CultureInfo.InvariantCulture, $"no connection within --connect-timeout ({connectTimeout.TotalSeconds:0.###}s)") : inner?.Message, inner)
{
    public bool TimedOut { get; } = timedOut;

    /// <summary>This process or machine is out of sockets (EMFILE, ENFILE, ENOBUFS): the backend is not to blame.</summary>
    public bool Local => InnerException is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable };
}
