namespace RoundRobinLab.Scenarios.Engine;

/// <summary>What one request of a scenario sends.</summary>
public sealed record RequestSpec(string Method, string Path, int BodyBytes = 0)
{
    public static RequestSpec Get(string path = "/") => new("GET", path);
}

/// <summary>Picks the request to send as request number n; a function, so mixes are reproducible.</summary>
public delegate RequestSpec RequestMix(long n);
