namespace RoundRobinLab.Scenarios.Engine;

/// <summary>How a request failed, as the client saw it.</summary>
public enum ErrorKind
{
    /// <summary>No connection to the target.</summary>
    Connect,

    /// <summary>No complete answer within the client timeout (or before the run ended).</summary>
    Timeout,

    /// <summary>The connection was reset or closed mid-exchange.</summary>
    Reset,

    /// <summary>The answer was not valid HTTP.</summary>
    BadResponse,

    /// <summary>A 5xx status: the target answered that it failed.</summary>
    ServerError,
}
