using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using RoundRobinLab.Proxy.Configuration;
using RoundRobinLab.Proxy.Hosting;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Tls;

public sealed class TlsTerminationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rrproxy-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A self-signed certificate for localhost, as PEM files (what openssl req -x509 writes).</summary>
    private TlsFiles WritePem(string name = "proxy", string subject = "CN=localhost")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var files = new TlsFiles(Path.Combine(_directory, name + ".crt"), Path.Combine(_directory, name + ".key"));
        File.WriteAllText(files.CertificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(files.KeyPath, key.ExportPkcs8PrivateKeyPem());
        return files;
    }

    /// <summary>A client that trusts the test's self-signed certificate (by its subject) and nothing else.</summary>
    private static HttpClient TrustingClient() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.Subject == "CN=localhost" },
    });

    private Task<ProxyUnderTest> StartAsync(TestBackend backend) =>
        ProxyUnderTest.StartAsync([backend.Address], s => s with { Urls = [new ListenAddress("127.0.0.1", 0, Https: true)], Tls = WritePem() });

    [Fact]
    public async Task Https_Http11_IsTerminated_AndTheBackendHearsProtoHttps()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        await using var proxy = await StartAsync(backend);
        using var client = TrustingClient();

        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, proxy.ProxyAddress) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact });

        proxy.ProxyAddress.Scheme.ShouldBe("https");
        response.Version.ShouldBe(HttpVersion.Version11);
        (await response.Content.ReadAsStringAsync()).ShouldBe("b1");
        backend.Received.Single().Headers["X-Forwarded-Proto"].ShouldBe(["https"]);
    }

    [Fact]
    public async Task Https_Http2_ByAlpn_OneTicketPerRequest_BodiesStreamed()
    {
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var b2 = await TestBackend.StartAsync("b2");
        await using var proxy = await ProxyUnderTest.StartAsync([b1.Address, b2.Address],
            s => s with { Urls = [new ListenAddress("127.0.0.1", 0, Https: true)], Tls = WritePem() });
        using var client = TrustingClient();

        var answers = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            using var get = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, proxy.ProxyAddress) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact });
            get.Version.ShouldBe(HttpVersion.Version20);
            answers.Add(await get.Content.ReadAsStringAsync());
        }

        // One HTTP/2 connection carried them all, and the split is per request.
        answers.ShouldBe(["b1", "b2", "b1", "b2"]);
        using var post = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, proxy.ProxyAddress)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StreamContent(new MemoryStream(new byte[300_000])),
        });
        post.StatusCode.ShouldBe(HttpStatusCode.OK);
        new[] { b1, b2 }.SelectMany(b => b.Received).Single(r => r.Method == "POST").BodyLength.ShouldBe(300_000);
        new[] { b1, b2 }.SelectMany(b => b.Received).ShouldAllBe(r => !r.Headers.Keys.Any(k => k.StartsWith(':')));
    }

    [Fact]
    public void HttpsWithoutACertificate_IsASettingsError()
    {
        var error = Should.Throw<SettingsException>(() => ProxySettings.Load(["--backends", "http://127.0.0.1:5001", "--urls", "https://127.0.0.1:8443"], _directory));

        error.Message.ShouldBe("--urls (Proxy:Urls): https://127.0.0.1:8443 needs a certificate: set --tls-cert (Proxy:TlsCert) and --tls-key (Proxy:TlsKey) to PEM files.");
    }

    [Fact]
    public void AKeyThatDoesNotMatchTheCertificate_IsASettingsError()
    {
        var one = WritePem("one");
        var other = WritePem("other");

        var error = Should.Throw<SettingsException>(() => ProxySettings.Load(
            ["--backends", "http://127.0.0.1:5001", "--urls", "https://127.0.0.1:8443", "--tls-cert", one.CertificatePath, "--tls-key", other.KeyPath], _directory));

        error.Message.ShouldStartWith($"--tls-cert/--tls-key (Proxy:TlsCert/Proxy:TlsKey): cannot use {one.CertificatePath} with {other.KeyPath}: ");
    }

    [Fact]
    public async Task ReloadCertificate_ServesTheRenewedOne_AndKeepsTheOldOnABadFile()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        var files = WritePem();
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address], s => s with { Urls = [new ListenAddress("127.0.0.1", 0, Https: true)], Tls = files });

        File.WriteAllText(files.KeyPath, "not a key");
        proxy.Host.ReloadCertificate().ShouldBeFalse();
        (await SubjectAsync(proxy)).ShouldBe("CN=localhost");

        var renewed = WritePem("renewed", "CN=renewed.localhost");
        File.Copy(renewed.CertificatePath, files.CertificatePath, overwrite: true);
        File.Copy(renewed.KeyPath, files.KeyPath, overwrite: true);
        proxy.Host.ReloadCertificate().ShouldBeTrue();
        (await SubjectAsync(proxy)).ShouldBe("CN=renewed.localhost");
    }

    [Fact]
    public async Task RenewedFiles_AreServedWithoutASignal()
    {
        await using var backend = await TestBackend.StartAsync("b1");
        var files = WritePem();
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address], s => s with { Urls = [new ListenAddress("127.0.0.1", 0, Https: true)], Tls = files });
        (await SubjectAsync(proxy)).ShouldBe("CN=localhost");

        // What a renewal does: new files over the old ones.
        var renewed = WritePem("renewed", "CN=renewed.localhost");
        File.Copy(renewed.CertificatePath, files.CertificatePath, overwrite: true);
        File.Copy(renewed.KeyPath, files.KeyPath, overwrite: true);

        await Eventually.HoldsAsync(() => proxy.Logs.Entries.Any(e => e.Message.StartsWith("TLS certificate reloaded", StringComparison.Ordinal)));
        (await SubjectAsync(proxy)).ShouldBe("CN=renewed.localhost");
    }

    private static async Task<string> SubjectAsync(ProxyUnderTest proxy)
    {
        string? subject = null;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    subject = certificate?.Subject;
                    return subject is "CN=localhost" or "CN=renewed.localhost";
                },
            },
        });
        (await client.GetStringAsync(proxy.ProxyAddress)).ShouldBe("b1");
        return subject!;
    }
}
