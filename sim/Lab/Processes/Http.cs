namespace RoundRobinLab.Lab.Processes;

internal static class Http
{
    /// <summary>
    /// Waits until <paramref name="url"/> answers 2xx (at most 10 s), trusting only the certificate
    /// with <paramref name="thumbprint"/> for https://. For programs with no readiness signal of
    /// their own (nginx, HAProxy, the fleet in its own process): polling is the signal.
    /// </summary>
    public static async Task WaitUntilAnswersAsync(Uri url, string? thumbprint, CancellationToken cancellationToken)
    {
        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && string.Equals(certificate.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase),
            },
        })
        { Timeout = TimeSpan.FromSeconds(1) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            try
            {
                using var response = await client.GetAsync(url, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Listening but not answering yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"nothing answers at {url}.");
            }

            await Task.Delay(50, cancellationToken);
        }
    }
}
