namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>How requests reach the target: the connections and the client that speaks on them.</summary>
internal interface IHttpTransport : IDisposable
{
    /// <summary>For a closed-model user: its own connection, one request at a time, until disposed.</summary>
    IHttpExchanger OpenUser();

    /// <summary>For the open model: any number of requests at once, each on an idle connection or a new one.</summary>
    IHttpExchanger Shared { get; }
}
