using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RoundRobinLab.Harness;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Smoke;

/// <summary>
/// The published Native AOT binary against real loopback backends. ./run-lab.sh test publishes it
/// and sets LAB_PROXY_BINARY; a plain `dotnet test` reports these as skipped, never as passed.
/// </summary>
[Trait("Category", "Smoke")]
public sealed class PublishedBinaryTests
{
    private static readonly HttpClient s_client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    [SkippableFact]
    public async Task Binary_Help_ListsTheOptionsAndExits0()
    {
        PublishedProxy.Require();
        await using var process = PublishedProxy.Run("--help");

        (await process.WaitForExitAsync(TimeSpan.FromSeconds(10))).ShouldBe(0);
        var help = string.Join("\n", process.Output);
        foreach (var option in RoundRobinLab.Proxy.Configuration.CommandLine.Options)
        {
            help.ShouldContain(option.Flag);
        }
    }

    [SkippableTheory]
    [InlineData(new string[0], "--backends (Proxy:Backends) is required")]
    [InlineData(new[] { "--backends", "localhost:5001" }, "is not an absolute http:// or https:// URL")]
    [InlineData(new[] { "--backends", "http://127.0.0.1:5001", "--connect-timeout", "x" }, "--connect-timeout (Proxy:ConnectTimeoutSeconds): 'x'")]
    public async Task Binary_BadSetting_ExitsWithOneLineNamingIt(string[] args, string expected)
    {
        PublishedProxy.Require();
        await using var process = PublishedProxy.Run(args);

        (await process.WaitForExitAsync(TimeSpan.FromSeconds(10))).ShouldBe(2);
        process.Errors.Count.ShouldBe(1);
        process.Errors.Single().ShouldStartWith("rrproxy: ");
        process.Errors.Single().ShouldContain(expected);
    }

    [SkippableFact]
    public async Task Binary_RunsTheWorkstationGc()
    {
        // Server GC kept 287 MB at 10,000 connections where workstation GC keeps 227-243 MB;
        // an MSBuild property with a typo in its name would silently bring it back.
        PublishedProxy.Require();
        await using var backend = await TestBackend.StartAsync("b1");
        await using var proxy = await PublishedProxy.StartAsync([backend.Address]);

        (await s_client.GetStringAsync(proxy.ProxyAddress)).ShouldBe("b1");

        proxy.ThreadNames().ShouldNotContain(".NET Server GC");
    }

    [SkippableFact]
    public async Task Binary_SigHup_ReloadsTheBackendsFromItsFile_AndKeepsServing()
    {
        PublishedProxy.Require();
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var b2 = await TestBackend.StartAsync("b2");
        // A copy of the binary with an appsettings.json of its own beside it.
        var directory = Directory.CreateTempSubdirectory("rrproxy-sighup-");
        try
        {
            var binary = Path.Combine(directory.FullName, "rrproxy");
            File.Copy(PublishedProxy.Binary!, binary);
            var settings = Path.Combine(directory.FullName, "appsettings.json");
            await File.WriteAllTextAsync(settings, $$"""{ "Proxy": { "Backends": [ "{{b1.Address}}" ] } }""");
            await using var proxy = await ProxyProcess.StartAsync(new ProxyStart { Binary = binary });
            (await s_client.GetStringAsync(proxy.ProxyAddress)).ShouldBe("b1");

            await File.WriteAllTextAsync(settings, $$"""{ "Proxy": { "Backends": [ "{{b2.Address}}" ] } }""");
            proxy.Send(Signal.HangUp);
            // The admin API says when the reload has happened; the log line says it to people.
            await Eventually.HoldsAsync(async () => (await s_client.GetStringAsync(new Uri(proxy.AdminAddress, "/backends"))).Contains(b2.Address.ToString().TrimEnd('/'), StringComparison.Ordinal));
            proxy.Output.ShouldContain(line => line.Contains("Backends reloaded on", StringComparison.Ordinal));

            (await s_client.GetStringAsync(proxy.ProxyAddress)).ShouldBe("b2");
            proxy.HasExited.ShouldBeFalse();
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [SkippableFact]
    public async Task Binary_AdminApi_ReplacesDrainsAndWeighsBackends()
    {
        // Source-generated JSON both ways, trimmed: what the JIT tests cannot show.
        PublishedProxy.Require();
        await using var b1 = await TestBackend.StartAsync("b1");
        await using var b2 = await TestBackend.StartAsync("b2");
        await using var proxy = await PublishedProxy.StartAsync([b1.Address]);
        var url2 = b2.Address.AbsoluteUri.TrimEnd('/');

        using (var put = await s_client.PutAsync(new Uri(proxy.AdminAddress, "/backends"),
            new StringContent($$"""{"backends": [{"url": "{{b1.Address.AbsoluteUri.TrimEnd('/')}}"}, {"url": "{{url2}}", "weight": 3}]}""")))
        {
            put.StatusCode.ShouldBe(HttpStatusCode.OK);
            using var view = JsonDocument.Parse(await put.Content.ReadAsStringAsync());
            view.RootElement.GetProperty("backends")[1].GetProperty("weight").GetInt32().ShouldBe(3);
        }

        var answers = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            answers.Add(await s_client.GetStringAsync(proxy.ProxyAddress));
        }

        answers.Count(a => a == "b2").ShouldBe(6);
        (await s_client.PostAsync(new Uri(proxy.AdminAddress, "/backends/drain"), new StringContent($$"""{"url": "{{url2}}"}"""))).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await s_client.GetStringAsync(proxy.ProxyAddress)).ShouldBe("b1");
        using var bad = await s_client.PutAsync(new Uri(proxy.AdminAddress, "/backends"), new StringContent("""{"backends": [{"url": "nope"}]}"""));
        bad.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [SkippableFact]
    public async Task Binary_TerminatesTls_WithHttp2ByAlpn()
    {
        PublishedProxy.Require();
        await using var backend = await TestBackend.StartAsync("b1");
        var directory = Directory.CreateTempSubdirectory("rrproxy-tls-smoke-");
        try
        {
            using var key = System.Security.Cryptography.ECDsa.Create();
            using var certificate = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256)
                .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            var certPath = Path.Combine(directory.FullName, "tls.crt");
            var keyPath = Path.Combine(directory.FullName, "tls.key");
            await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
            await using var proxy = await ProxyProcess.StartAsync(new ProxyStart
            {
                Binary = PublishedProxy.Binary!,
                Schemes = ["https"],
                Arguments = ["--backends", backend.Address.ToString(), "--tls-cert", certPath, "--tls-key", keyPath],
            });
            using var client = new HttpClient(new SocketsHttpHandler
            {
                UseProxy = false,
                SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.Subject == "CN=localhost" },
            });

            using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, proxy.ProxyAddress) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact });

            response.Version.ShouldBe(HttpVersion.Version20);
            (await response.Content.ReadAsStringAsync()).ShouldBe("b1");
            backend.Received.Single().Headers["X-Forwarded-Proto"].ShouldBe(["https"]);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [SkippableFact]
    public async Task Binary_TunnelsAWebSocket()
    {
        PublishedProxy.Require();
        await using var backend = await WebSockets.WebSocketTunnelTests.EchoAsync("b1");
        await using var proxy = await PublishedProxy.StartAsync([backend.Address]);
        using var socket = new System.Net.WebSockets.ClientWebSocket();

        await socket.ConnectAsync(new UriBuilder(proxy.ProxyAddress) { Scheme = "ws" }.Uri, CancellationToken.None);
        await socket.SendAsync("hello"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[64];
        var received = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);

        System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count).ShouldBe("b1:hello");
        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
    }

    [SkippableFact]
    public async Task Binary_PortInUse_ExitsWithOneLine()
    {
        PublishedProxy.Require();
        using var occupier = new TcpListener(IPAddress.Loopback, 0);
        occupier.Start();
        var port = ((IPEndPoint)occupier.LocalEndpoint).Port;
        await using var process = PublishedProxy.Run("--backends", "http://127.0.0.1:5001", "--urls", $"http://127.0.0.1:{port}", "--admin-urls", "http://127.0.0.1:0");

        (await process.WaitForExitAsync(TimeSpan.FromSeconds(10))).ShouldBe(1);
        process.Errors.ShouldContain(line => line.StartsWith("rrproxy: cannot listen:", StringComparison.Ordinal) && line.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        process.Errors.ShouldNotContain(line => line.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task Binary_SpreadsRequestsEvenly_AndReportsThemOnTheAdminPort()
    {
        PublishedProxy.Require();
        var backends = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => TestBackend.StartAsync($"b{i}")));
        try
        {
            await using var proxy = await PublishedProxy.StartAsync(backends.Select(b => b.Address));

            var answers = new System.Collections.Concurrent.ConcurrentBag<string>();
            await Parallel.ForAsync(0, 90, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, ct) =>
                answers.Add(await s_client.GetStringAsync(new Uri(proxy.ProxyAddress, "/smoke"), ct)));
            using var stats = JsonDocument.Parse(await s_client.GetStringAsync(new Uri(proxy.AdminAddress, "/stats")));
            var metrics = await s_client.GetStringAsync(new Uri(proxy.AdminAddress, "/metrics"));

            answers.GroupBy(a => a).Select(g => g.Count()).ShouldBe([30, 30, 30]);
            backends.ShouldAllBe(b => b.Received.Count == 30);
            stats.RootElement.GetProperty("backends").EnumerateArray().Select(b => b.GetProperty("requests").GetInt64()).ShouldBe([30L, 30L, 30L]);
            metrics.ShouldContain("rrproxy_backend_requests_total{backend=");
            // One startup line and nothing per request.
            proxy.Output.Count.ShouldBe(1);
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.DisposeAsync();
            }
        }
    }

    [SkippableFact]
    public async Task Binary_DeadBackend_IsSkippedAndEjectedWithAWarning()
    {
        PublishedProxy.Require();
        await using var live = await TestBackend.StartAsync("live");
        await using var dead = await TestBackend.StartAsync("dead");
        var deadAddress = dead.Address;
        await dead.StopAsync();
        await using var proxy = await PublishedProxy.StartAsync([deadAddress, live.Address]);

        for (var i = 0; i < 6; i++)
        {
            using var response = await s_client.PostAsync(new Uri(proxy.ProxyAddress, "/order"), new StringContent("x"));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        live.Received.Count.ShouldBe(6);
        proxy.Output.ShouldContain(line => line.Contains("warn:") && line.Contains($"Backend {deadAddress.AbsoluteUri.TrimEnd('/')} ejected"));
    }

    [SkippableFact]
    public async Task Binary_SigTerm_LetsTheInFlightRequestFinishAndExits0()
    {
        PublishedProxy.Require();
        var requestArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await TestBackend.StartAsync("slow", async context =>
        {
            requestArrived.SetResult();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(20));
            await context.Response.WriteAsync("finished");
        });
        await using var proxy = await PublishedProxy.StartAsync([slow.Address]);

        var inFlight = s_client.GetStringAsync(new Uri(proxy.ProxyAddress, "/slow"));
        await requestArrived.Task.WaitAsync(TimeSpan.FromSeconds(10));
        proxy.Send(Signal.Terminate);
        release.SetResult();

        (await inFlight).ShouldBe("finished");
        (await proxy.WaitForExitAsync(TimeSpan.FromSeconds(15))).ShouldBe(0);
    }

    [SkippableFact]
    public async Task Binary_MultiGigabyteBodies_StreamBothWaysInFlatMemory()
    {
        PublishedProxy.Require();
        const long Size = 2L * 1024 * 1024 * 1024;
        await using var backend = await TestBackend.StartAsync("big", async context =>
        {
            if (HttpMethods.IsPost(context.Request.Method))
            {
                await context.Response.WriteAsync((await TestBackend.ReadBodyAsync(context)).ToString(System.Globalization.CultureInfo.InvariantCulture));
                return;
            }

            context.Response.ContentLength = Size;
            var chunk = new byte[64 * 1024];
            for (long sent = 0; sent < Size; sent += chunk.Length)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
            }
        });
        await using var proxy = await PublishedProxy.StartAsync([backend.Address]);

        using var upload = await s_client.PostAsync(new Uri(proxy.ProxyAddress, "/up"), new StreamContent(new ZeroStream(Size)));
        (await upload.Content.ReadAsStringAsync()).ShouldBe(Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var download = await s_client.GetAsync(new Uri(proxy.ProxyAddress, "/down"), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await download.Content.ReadAsStreamAsync();
        var buffer = new byte[256 * 1024];
        long received = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            received += read;
        }

        received.ShouldBe(Size);
        // Peak resident memory over the whole run: buffering either body would need 2 GiB.
        proxy.PeakResidentBytes().ShouldBeLessThan(200L * 1024 * 1024);
    }

    /// <summary>A readable stream of zeros of a given length, that holds none of them.</summary>
    private sealed class ZeroStream(long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
