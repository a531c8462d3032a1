using Microsoft.Extensions.Logging;
using RoundRobinLab.Proxy.Configuration;
using RoundRobinLab.Proxy.Hosting;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Hosting;

/// <summary>The backends reloaded from appsettings.json: on a change of the file, and on request (what SIGHUP does).</summary>
public sealed class BackendReloadTests : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rrproxy-reload-").FullName;
    private readonly TestLogSink _logs = new();
    private ProxyHost? _host;

    private string File => Path.Combine(_directory, "appsettings.json");

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync();
            await _host.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    private void Write(params string[] backends) => System.IO.File.WriteAllText(File,
        $$"""{ "Proxy": { "Urls": "http://127.0.0.1:0", "AdminUrls": "http://127.0.0.1:0", "Backends": [ {{string.Join(", ", backends)}} ] } }""");

    private async Task<HttpClient> StartAsync()
    {
        _host = ProxyHost.Create(ProxySettings.Load([], _directory), logging =>
        {
            logging.ClearProviders();
            logging.AddProvider(_logs);
        }, reload: () => ProxySettings.Load([], _directory), watchFile: File);
        await _host.StartAsync();
        return new HttpClient { BaseAddress = new Uri(_host.ProxyUrls[0]) };
    }

    [Fact]
    public async Task EditingTheFile_ReplacesTheBackends_KeepingThoseThatStay()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var b2 = await TestBackend.StartAsync("b2");
        Write($"\"{b1.Address}\"");
        using var client = await StartAsync();
        (await client.GetStringAsync("/")).ShouldBe("b1");
        var kept = _host!.Pool.All[0];

        Write($"\"{b1.Address}\"", $$"""{ "Url": "{{b2.Address}}", "Weight": 2 }""");
        await Eventually.HoldsAsync(() => _host.Pool.All.Count == 2);

        _host.Pool.All[0].ShouldBeSameAs(kept);
        _host.Pool.All[1].Weight.ShouldBe(2);
        var answers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await client.GetStringAsync("/"));
        }

        answers.Count(a => a == "b2").ShouldBe(2);
        _logs.Entries.ShouldContain(e => e.Message.StartsWith("Backends reloaded on a change of appsettings.json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AFileThatDoesNotLoad_IsLoggedAndIgnored_TheRunningSetKept()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        Write($"\"{b1.Address}\"");
        using var client = await StartAsync();

        Write("\"not a url\"");
        _host!.ReloadBackends().ShouldBeFalse();

        _host.Pool.All.Select(b => b.Address).ShouldBe([new Uri(b1.Address.AbsoluteUri.TrimEnd('/'))]);
        (await client.GetStringAsync("/")).ShouldBe("b1");
        _logs.Entries.ShouldContain(e => e.Level == LogLevel.Error && e.Message.Contains("ignored, the running 1 backends kept: --backends (Proxy:Backends): 'not a url' is not an absolute"));
    }
}
