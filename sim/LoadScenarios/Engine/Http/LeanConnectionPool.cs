using System.Runtime.CompilerServices;

namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>
/// The idle connections, most recently used first (those most likely still open). The open model
/// sends on any idle one, or a new one when none is idle: the dispatcher's MaxInFlight bounds how
/// many there can be. A closed-model user takes one for as long as it lives, then gives it back,
/// so the measured phase's users go on with the warm-up's connections.
/// </summary>
internal sealed class LeanConnectionPool(Func<LeanConnection> connect) : IHttpExchanger
{
    private readonly Stack<LeanConnection> _idle = new();
    private readonly Lock _gate = new();

    public LeanConnection Rent()
    {
        lock (_gate)
        {
            if (_idle.TryPop(out var connection))
            {
                return connection;
            }
        }

        return connect();
    }

    public void Return(LeanConnection connection)
    {
        lock (_gate)
        {
            _idle.Push(connection);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ExchangeResult> SendAsync(RequestSpec spec)
    {
        var connection = Rent();
        try
        {
            return await connection.SendAsync(spec);
        }
        finally
        {
            Return(connection);
        }
    }

    /// <summary>The pool is the transport's: it closes the connections.</summary>
    public void Dispose()
    {
    }
}
