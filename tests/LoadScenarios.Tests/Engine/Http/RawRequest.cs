namespace RoundRobinLab.Scenarios.Tests.Engine.Http;

/// <summary>A request as the raw server read it: its head's text and its body's bytes, and which of the connection's requests it is (0-based).</summary>
internal sealed record RawRequest(string Head, byte[] Body, int Connection, int OnConnection)
{
    public string RequestLine => Head[..Head.IndexOf('\r', StringComparison.Ordinal)];
}
