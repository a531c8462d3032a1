using System.Text.Json;
using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Harness;

namespace RoundRobinLab.Scenarios.Lab;

/// <summary>
/// A fleet of fake backends in this process and the native proxy in front of them, on loopback.
/// Disposing stops both, whatever happened in between.
/// </summary>
public sealed class LabEnvironment : IAsyncDisposable
{
    private LabEnvironment(BackendFleet fleet, ProxyProcess proxy, string? certificateThumbprint)
    {
        Fleet = fleet;
        Proxy = proxy;
        CertificateThumbprint = certificateThumbprint;
    }

    /// <summary>The thumbprint of the proxy's self-signed certificate when it serves TLS, for the client to pin.</summary>
    public string? CertificateThumbprint { get; }

    public BackendFleet Fleet { get; }

    public ProxyProcess Proxy { get; }

    public static async Task<LabEnvironment> StartAsync(LabSetup setup, LabPorts ports, string proxyBinary, string logFile)
    {
        var fleet = await BackendFleet.StartAsync(new FleetOptions
        {
            Count = setup.Backends,
            BasePort = ports.BackendBasePort,
            Mode = setup.Mode,
            Profiles = setup.Profiles,
            NetworkFaults = setup.NetworkFaults,
        });
        try
        {
            string[] tls = [];
            string? thumbprint = null;
            if (setup.Tls)
            {
                var certificate = SelfSignedCertificate.Write(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
                thumbprint = certificate.Thumbprint;
                tls = ["--tls-cert", certificate.CertificatePath, "--tls-key", certificate.KeyPath];
            }

            var proxy = await ProxyProcess.StartAsync(new ProxyStart
            {
                Binary = proxyBinary,
                Arguments =
                [
                    "--backends", string.Join(",", fleet.ProxyUrls.Take(setup.ProxyBackends ?? setup.Backends)
                        .Select((u, i) => setup.Weights is { } weights ? $"{u.ToString().TrimEnd('/')} weight={weights[i]}" : u.ToString().TrimEnd('/'))),
                    .. tls,
                    .. setup.ProxyArgs,
                ],
                Schemes = [setup.Tls ? "https" : "http"],
                ProxyPort = ports.ProxyPort,
                AdminPort = ports.AdminPort,
                LogFile = logFile,
            });
            return new LabEnvironment(fleet, proxy, thumbprint);
        }
        catch
        {
            await fleet.DisposeAsync();
            throw;
        }
    }

    /// <summary>Requests the proxy sent to each backend (its /stats), by backend id.</summary>
    public async Task<Dictionary<string, long>> ProxyCountsAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var byUrl = BackendIdsByAddress();
        return (await ProxyStats.ReadAsync(client, Proxy.AdminAddress)).ToDictionary(b => byUrl.GetValueOrDefault(b.Address, b.Address), b => b.Requests);
    }

    /// <summary>Backend ids by the address /stats shows.</summary>
    internal Dictionary<string, string> BackendIdsByAddress() =>
        // Both addresses: the proxy knows the relay's with network faults on, the backend's otherwise.
        Fleet.Backends.SelectMany(b => new[] { b.Url, b.ProxyUrl }.Distinct().Select(u => (Url: u.ToString().TrimEnd('/'), b.Id)))
            .ToDictionary(x => x.Url, x => x.Id);

    /// <summary>
    /// How often the rotation changed by health (ejections and readmissions, summed over the
    /// backends), from the proxy's /stats: numbers the proxy reports, not its log text.
    /// </summary>
    public async Task<long> ProxyRotationChangesAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return (await ProxyStats.ReadAsync(client, Proxy.AdminAddress)).Sum(b => b.Ejections + b.Readmissions);
    }

    /// <summary>Takes backend <paramref name="id"/> out of rotation through the admin API (POST /backends/drain), or back.</summary>
    public async Task DrainAsync(string id, bool drain)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var url = Fleet[id].ProxyUrl.ToString().TrimEnd('/');
        using var response = await client.PostAsync(new Uri(Proxy.AdminAddress, drain ? "/backends/drain" : "/backends/undrain"),
            new StringContent($"{{\"url\": \"{url}\"}}", System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Replaces the proxy's backends with the fleet's <paramref name="ids"/> through the admin API (PUT /backends).</summary>
    public async Task ReplaceBackendsAsync(params string[] ids)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var body = "{\"backends\": [" + string.Join(", ", ids.Select(id => $"{{\"url\": \"{Fleet[id].ProxyUrl.ToString().TrimEnd('/')}\"}}")) + "]}";
        using var response = await client.PutAsync(new Uri(Proxy.AdminAddress, "/backends"), new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Proxy.DisposeAsync();
        }
        finally
        {
            await Fleet.DisposeAsync();
        }
    }
}
