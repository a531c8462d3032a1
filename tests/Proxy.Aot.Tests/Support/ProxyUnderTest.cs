using Microsoft.Extensions.Logging;
using RoundRobinLab.Proxy.Configuration;
using RoundRobinLab.Proxy.Hosting;

namespace RoundRobinLab.Proxy.Tests.Support;

/// <summary>The proxy in-process on free loopback ports, with a client pointed at it.</summary>
internal sealed class ProxyUnderTest : IAsyncDisposable
{
    private ProxyUnderTest(ProxyHost host, TestLogSink logs)
    {
        Host = host;
        Logs = logs;
        Client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = new Uri(host.ProxyUrls[0]),
            Timeout = TimeSpan.FromSeconds(30),
        };
        Admin = new HttpClient { BaseAddress = new Uri(host.AdminUrls[0]), Timeout = TimeSpan.FromSeconds(30) };
    }

    public ProxyHost Host { get; }

    public HttpClient Client { get; }

    public HttpClient Admin { get; }

    public TestLogSink Logs { get; }

    public Uri ProxyAddress => new(Host.ProxyUrls[0]);

    public static async Task<ProxyUnderTest> StartAsync(IEnumerable<Uri> backends, Func<ProxySettings, ProxySettings>? configure = null, TimeProvider? time = null)
    {
        var settings = new ProxySettings
        {
            Backends = [.. backends],
            Urls = [new ListenAddress("127.0.0.1", 0)],
            AdminUrls = [new ListenAddress("127.0.0.1", 0)],
        };
        settings = configure?.Invoke(settings) ?? settings;
        var logs = new TestLogSink();
        var host = ProxyHost.Create(settings, logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(logs);
        }, time);
        await host.StartAsync();
        return new ProxyUnderTest(host, logs);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Admin.Dispose();
        await Host.StopAsync();
        await Host.DisposeAsync();
    }
}
