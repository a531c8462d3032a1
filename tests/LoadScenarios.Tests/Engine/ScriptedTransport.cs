using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Engine.Http;

namespace RoundRobinLab.Scenarios.Tests.Engine;

/// <summary>A transport whose every answer is <paramref name="answer"/>; it counts connections and overlaps.</summary>
internal sealed class ScriptedTransport(Func<RequestSpec, Task<ExchangeResult>> answer) : IHttpTransport
{
    private readonly Func<RequestSpec, Task<ExchangeResult>> _answer = answer;
    private int _inFlight;
    private int _maxInFlight;
    private int _opened;
    private int _closed;
    private int _overlapsOnOneConnection;

    public ScriptedTransport(TimeSpan delay)
        : this(async _ =>
        {
            await Task.Delay(delay);
            return ExchangeResult.Answered(200, 2, "a");
        })
    {
    }

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public int Opened => Volatile.Read(ref _opened);

    public int Closed => Volatile.Read(ref _closed);

    /// <summary>Times a user's connection was asked for a second request before the first was answered.</summary>
    public int OverlapsOnOneConnection => Volatile.Read(ref _overlapsOnOneConnection);

    public IHttpExchanger Shared => new Connection(this, countsAsOpened: false);

    public IHttpExchanger OpenUser()
    {
        Interlocked.Increment(ref _opened);
        return new Connection(this, countsAsOpened: true);
    }

    public void Dispose()
    {
    }

    private sealed class Connection(ScriptedTransport transport, bool countsAsOpened) : IHttpExchanger
    {
        private int _busy;

        public async ValueTask<ExchangeResult> SendAsync(RequestSpec spec)
        {
            if (Interlocked.Exchange(ref _busy, 1) == 1 && countsAsOpened)
            {
                Interlocked.Increment(ref transport._overlapsOnOneConnection);
            }

            var now = Interlocked.Increment(ref transport._inFlight);
            int max;
            while (now > (max = Volatile.Read(ref transport._maxInFlight)) && Interlocked.CompareExchange(ref transport._maxInFlight, now, max) != max)
            {
            }

            try
            {
                return await transport._answer(spec);
            }
            finally
            {
                Interlocked.Decrement(ref transport._inFlight);
                Volatile.Write(ref _busy, 0);
            }
        }

        public void Dispose()
        {
            if (countsAsOpened)
            {
                Interlocked.Increment(ref transport._closed);
            }
        }
    }
}
