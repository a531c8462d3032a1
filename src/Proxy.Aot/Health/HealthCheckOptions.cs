namespace RoundRobinLab.Proxy.Health;

/// <summary>Active health checks, HAProxy's vocabulary: every interval a GET of the path; fall fails in a row take a backend out, rise passes bring it back.</summary>
internal sealed record HealthCheckOptions(string Path, TimeSpan Interval, TimeSpan Timeout, int Fall, int Rise);
