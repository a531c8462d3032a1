namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>Sends one request and reads its whole answer; failures come back as values, not exceptions.</summary>
internal interface IHttpExchanger : IDisposable
{
    ValueTask<ExchangeResult> SendAsync(RequestSpec spec);
}
