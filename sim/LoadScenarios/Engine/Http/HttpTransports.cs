namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>Which client a run uses.</summary>
internal static class HttpTransports
{
    /// <summary>
    /// The lean client for plain HTTP/1.1 (the lab's default) on Linux: HttpClient reached only
    /// 0.47–0.73× of wrk's rate with the same connections. HttpClient for https:// and HTTP/2 (the
    /// TLS scenarios), which the lean client does not speak.
    /// </summary>
    public static IHttpTransport For(LoadOptions options, CancellationToken stop) =>
        options.Target.Scheme == Uri.UriSchemeHttp && options.HttpVersion == System.Net.HttpVersion.Version11 && OperatingSystem.IsLinux()
            ? new LeanHttpTransport(options, stop)
            : new HttpClientTransport(options, stop);
}
