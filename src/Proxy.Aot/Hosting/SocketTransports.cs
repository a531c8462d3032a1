using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RoundRobinLab.Proxy.Hosting;

/// <summary>
/// Kestrel's socket transport, configured as the web host would configure it. The one reason for
/// a service container here: the transport's memory pool is an internal option that only
/// Kestrel's own service registrations fill in. Built with <c>new SocketTransportOptions()</c>,
/// the transport falls back to array-pool memory, unpinned, whose <c>GetMemory(0)</c> on a
/// response returns an empty block (found in issue 10: every streamed body broke off at once).
/// </summary>
internal sealed class SocketTransports : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly ILoggerFactory _loggers;

    public SocketTransports(ILoggerFactory loggers)
    {
        _loggers = loggers;
        var services = new ServiceCollection();
        services.AddSingleton(loggers);
        services.AddLogging();
        services.AddMetrics();
        // Kestrel's HTTPS pieces (its TLS middleware resolves them from the server's services).
        new ServicesOnlyWebHostBuilder(services).UseKestrelCore().UseKestrelHttpsConfiguration();
        services.AddSingleton<Microsoft.Extensions.Hosting.IHostEnvironment>(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment
        {
            EnvironmentName = "Production",
            ApplicationName = "rrproxy",
            ContentRootPath = AppContext.BaseDirectory,
            ContentRootFileProvider = new Microsoft.Extensions.FileProviders.NullFileProvider(),
        });
        _services = services.BuildServiceProvider();
    }

    /// <param name="inline">Run request processing on the I/O thread that read it (see ProxyHost).</param>
    public SocketTransportFactory Create(bool inline)
    {
        var options = _services.GetRequiredService<IOptionsFactory<SocketTransportOptions>>().Create(Options.DefaultName);
        options.UnsafePreferInlineScheduling = inline;
        return new SocketTransportFactory(Options.Create(options), _loggers);
    }

    /// <summary>Kestrel's services, for <c>KestrelServerOptions.ApplicationServices</c> (its HTTPS middleware needs them).</summary>
    public IServiceProvider Services => _services;

    public void Dispose() => _services.Dispose();

    /// <summary>
    /// Kestrel's registrations are published as extensions of the web host builder only; this
    /// builder hands them to a plain service collection and builds no host.
    /// </summary>
    private sealed class ServicesOnlyWebHostBuilder(IServiceCollection services) : IWebHostBuilder
    {
        // The interface still requires it; nothing calls it, and no host is ever built here.
#pragma warning disable ASPDEPR008 // IWebHost is obsolete
        public IWebHost Build() => throw new NotSupportedException("Only Kestrel's service registrations are wanted from this builder.");
#pragma warning restore ASPDEPR008

        public IWebHostBuilder ConfigureAppConfiguration(Action<WebHostBuilderContext, IConfigurationBuilder> configureDelegate) => this;

        public IWebHostBuilder ConfigureServices(Action<IServiceCollection> configureServices)
        {
            configureServices(services);
            return this;
        }

        public IWebHostBuilder ConfigureServices(Action<WebHostBuilderContext, IServiceCollection> configureServices)
        {
            configureServices(new WebHostBuilderContext { Configuration = new ConfigurationManager() }, services);
            return this;
        }

        public string? GetSetting(string key) => null;

        public IWebHostBuilder UseSetting(string key, string? value) => this;
    }
}
