namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>
/// What one request came back with: a status (any, 5xx included: the recorder counts those as
/// server errors), the body's length and the backend that answered; or, when no complete answer
/// came, how it failed.
/// </summary>
internal readonly record struct ExchangeResult(int Status, long Bytes, string? Backend, ErrorKind? Error)
{
    public static ExchangeResult Answered(int status, long bytes, string? backend) => new(status, bytes, backend, null);

    public static ExchangeResult Failed(ErrorKind kind) => new(0, 0, null, kind);
}
