using System.Net.Sockets;

namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>One request through HttpClient, its body read to the end, its failure classified.</summary>
internal sealed class HttpClientExchanger(HttpMessageInvoker client, LoadOptions options, CancellationToken stop) : IHttpExchanger
{
    private readonly RequestBodies _bodies = new();

    public async ValueTask<ExchangeResult> SendAsync(RequestSpec spec)
    {
        using var request = new HttpRequestMessage(new HttpMethod(spec.Method), new Uri(options.Target, spec.Path))
        {
            Version = options.HttpVersion,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (spec.BodyBytes > 0)
        {
            request.Content = new ByteArrayContent(_bodies.Of(spec.BodyBytes));
        }

        if (options.NewConnectionPerRequest)
        {
            request.Headers.ConnectionClose = true;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(options.ClientTimeout);
        try
        {
            using var response = await client.SendAsync(request, timeout.Token);
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
            long bytes = 0;
            try
            {
                int read;
                while ((read = await body.ReadAsync(buffer, timeout.Token)) > 0)
                {
                    bytes += read;
                }
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }

            var backend = response.Headers.TryGetValues("X-Backend-Id", out var ids) ? ids.FirstOrDefault() : null;
            return ExchangeResult.Answered((int)response.StatusCode, bytes, backend);
        }
        catch (Exception e)
        {
            return ExchangeResult.Failed(Classify(e));
        }
    }

    /// <summary>Nothing to give back when a user leaves: the handler's pool owns the connections.</summary>
    public void Dispose()
    {
    }

    private static ErrorKind Classify(Exception e) => e switch
    {
        OperationCanceledException => ErrorKind.Timeout,
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } h when h.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable } => ErrorKind.Connect,
        HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse } => ErrorKind.BadResponse,
        _ => ErrorKind.Reset,
    };
}
