namespace RoundRobinLab.Backends.Fleet;

/// <summary>One incarnation of a backend: started on its port, stopped when the backend goes down.</summary>
internal interface IBackendServer : IAsyncDisposable
{
    /// <summary>Requests this incarnation received: WireMock's request log, or the lean server's counter.</summary>
    long Received { get; }

    /// <summary>The port it listens on (the one it was given, or the free one it got for 0).</summary>
    int Port { get; }
}
