namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>Which client a run uses.</summary>
internal static class HttpTransports
{
    public static IHttpTransport For(LoadOptions options, CancellationToken stop) => new HttpClientTransport(options, stop);
}
