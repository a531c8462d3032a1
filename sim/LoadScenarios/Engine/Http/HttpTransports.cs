namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>Which client a run uses.</summary>
internal static class HttpTransports
{
    /// <summary>
    /// The lean client for plain HTTP/1.1 (the lab's default) on Linux; HttpClient for https://
    /// and HTTP/2 (the TLS scenarios), which the lean client does not speak, and elsewhere.
    /// Closed model, against the same target as wrk with as many connections (medians of
    /// alternating rounds; `lab scenario probe --target URL --users N --duration 10
    /// --warmup 2` against `wrk -t2|-t1 -cN -d10s URL`), HttpClient → lean client:
    /// lean backend, 50 users (6 rounds): 58.2k → 86.6k req/s, 0.64 → 0.95× wrk -t2 (90.9k), 0.78 → 1.17× wrk -t1 (74.3k);
    /// rrproxy over 3 lean backends, 50 users (4 rounds): 31.2k → 38.1k, 0.84 → 1.03× wrk -t2, 0.80 → 0.97× wrk -t1;
    /// WireMock answering in 10 ms, 20 users (3 rounds): 1.00× either way (the latency is the limit).
    /// </summary>
    public static IHttpTransport For(LoadOptions options, CancellationToken stop) =>
        options.Target.Scheme == Uri.UriSchemeHttp && options.HttpVersion == System.Net.HttpVersion.Version11 && OperatingSystem.IsLinux()
            ? new LeanHttpTransport(options, stop)
            : new HttpClientTransport(options, stop);
}
