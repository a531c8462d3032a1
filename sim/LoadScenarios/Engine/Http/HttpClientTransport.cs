using System.Net;

namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>
/// Requests through HttpClient's SocketsHttpHandler: for what the lean client does not speak
/// (https://, HTTP/2). The handler pools connections itself, so a user's "own" connection is
/// whichever the pool hands it.
/// </summary>
internal sealed class HttpClientTransport : IHttpTransport
{
    private readonly SocketsHttpHandler _handler;
    private readonly HttpMessageInvoker _client;

    public HttpClientTransport(LoadOptions options, CancellationToken stop)
    {
        _handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            MaxConnectionsPerServer = int.MaxValue,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        if (options.TrustedThumbprint is { } thumbprint)
        {
            // The lab's own self-signed certificate, pinned: nothing else is trusted.
            _handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && string.Equals(certificate.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase);
        }

        _client = new HttpMessageInvoker(_handler);
        Shared = new HttpClientExchanger(_client, options, stop);
    }

    public IHttpExchanger Shared { get; }

    public IHttpExchanger OpenUser() => Shared;

    public void Dispose()
    {
        _client.Dispose();
        _handler.Dispose();
    }
}
