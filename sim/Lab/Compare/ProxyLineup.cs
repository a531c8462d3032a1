using RoundRobinLab.Harness;
using RoundRobinLab.Lab.Processes;

namespace RoundRobinLab.Lab.Compare;

/// <summary>A proxy under comparison: where a load reaches it and which process's CPU pays for it.</summary>
internal sealed record ComparedProxy(string Name, Uri Url, int Pid);

/// <summary>
/// The same two fast backends (nginx static answers) behind rrproxy, nginx and HAProxy as
/// round-robin proxies, and rrproxy and nginx terminating TLS with one certificate made for the
/// run. All on free loopback ports; disposing stops every process.
/// </summary>
internal sealed class ProxyLineup : IAsyncDisposable
{
    public static readonly string[] Names = ["rrproxy", "nginx", "haproxy"];

    private readonly List<IAsyncDisposable> _processes = [];
    private readonly Dictionary<string, ComparedProxy> _http = [];
    private readonly Dictionary<string, ComparedProxy> _https = [];

    private ProxyLineup()
    {
    }

    /// <summary>The proxies a load runs against, in the order of <see cref="Names"/>.</summary>
    public IReadOnlyList<ComparedProxy> For(CompareLoad load) => [.. Names.Where((load.Https ? _https : _http).ContainsKey).Select(name => (load.Https ? _https : _http)[name])];

    public static async Task<ProxyLineup> StartAsync(string directory, string rrproxyBinary, CancellationToken cancellationToken)
    {
        var nginx = ExternalTools.Require("nginx", "nginx");
        var haproxy = ExternalTools.Require("haproxy", "haproxy");
        var lineup = new ProxyLineup();
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(directory, "1m.bin"), new byte[1024 * 1024], cancellationToken);
            int b1 = FreePort.Next(), b2 = FreePort.Next();
            Console.Error.WriteLine($"==> Backends: nginx static answers on 127.0.0.1:{b1} and :{b2}");
            lineup.Nginx(nginx, ConfigTemplate.Write("backends.nginx.conf", directory, "backends.conf", b1, b2));
            foreach (var port in new[] { b1, b2 })
            {
                await Http.WaitUntilAnswersAsync(new Uri($"http://127.0.0.1:{port}/"), null, cancellationToken);
            }

            var certificate = SelfSignedCertificate.Write(directory);
            var rrproxy = await ProxyProcess.StartAsync(new ProxyStart
            {
                Binary = rrproxyBinary,
                Schemes = ["http", "https"],
                Arguments = ["--backends", $"http://127.0.0.1:{b1},http://127.0.0.1:{b2}", "--tls-cert", certificate.CertificatePath, "--tls-key", certificate.KeyPath],
                LogFile = Path.Combine(directory, "rrproxy.log"),
            }, cancellationToken);
            lineup._processes.Add(rrproxy);
            lineup._http["rrproxy"] = new("rrproxy", rrproxy.ProxyAddresses[0], rrproxy.Id);
            lineup._https["rrproxy"] = new("rrproxy", rrproxy.ProxyAddresses[1], rrproxy.Id);

            int nginxPort = FreePort.Next(), nginxTlsPort = FreePort.Next(), haproxyPort = FreePort.Next();
            lineup._http["nginx"] = new("nginx", new Uri($"http://127.0.0.1:{nginxPort}/"), lineup.Nginx(nginx, ConfigTemplate.Write("proxy.nginx.conf", directory, "nginx-proxy.conf", b1, b2, nginxPort)));
            lineup._https["nginx"] = new("nginx", new Uri($"https://127.0.0.1:{nginxTlsPort}/"), lineup.Nginx(nginx, ConfigTemplate.Write("proxy-tls.nginx.conf", directory, "nginx-proxy-tls.conf", b1, b2, nginxTlsPort)));
            var haproxyProcess = ExternalProcess.Start(haproxy, ["-f", ConfigTemplate.Write("proxy.haproxy.cfg", directory, "haproxy.cfg", b1, b2, haproxyPort), "-db"], Path.Combine(directory, "haproxy.log"));
            lineup._processes.Add(haproxyProcess);
            lineup._http["haproxy"] = new("haproxy", new Uri($"http://127.0.0.1:{haproxyPort}/"), haproxyProcess.Id);
            Console.Error.WriteLine($"==> Proxies: rrproxy {lineup._http["rrproxy"].Url}, nginx {lineup._http["nginx"].Url}, HAProxy {lineup._http["haproxy"].Url}; TLS: rrproxy {lineup._https["rrproxy"].Url}, nginx {lineup._https["nginx"].Url}");
            foreach (var proxy in lineup._http.Values.Concat(lineup._https.Values))
            {
                await Http.WaitUntilAnswersAsync(proxy.Url, certificate.Thumbprint, cancellationToken);
            }

            return lineup;
        }
        catch
        {
            await lineup.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            await process.DisposeAsync();
        }
    }

    private int Nginx(string nginx, string configuration)
    {
        var process = ExternalProcess.Start(nginx, ["-c", configuration, "-g", "daemon off;"]);
        _processes.Add(process);
        return process.Id;
    }
}
