using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using RoundRobinLab.Proxy.Tests.Support;

namespace RoundRobinLab.Proxy.Tests.Upstream;

/// <summary>
/// The proxy's own HTTP/1.1 connections to backends, seen from a raw backend socket: kept alive
/// when the response allows it, replaced when the backend closed one while it was idle, and never
/// trusted after a response that could leave the two sides disagreeing about where the next one
/// begins.
/// </summary>
public sealed class UpstreamConnectionTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    [Fact]
    public async Task Forward_SequentialRequests_ShareOneKeptAliveConnection()
    {
        await using var backend = RawBackend.Answering(Ok);
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        for (var i = 0; i < 5; i++)
        {
            (await proxy.Client.GetStringAsync($"/{i}")).ShouldBe("ok");
        }

        backend.Accepted.ShouldBe(1);
        backend.Heads.Count.ShouldBe(5);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")]
    public async Task Forward_ResponseThatEndsTheConnection_NextRequestOpensANewOne(string response)
    {
        // Connection: close, an HTTP/1.0 answer, or both framings (a smuggling attempt): the
        // proxy hangs up after the response, so the backend sees its next read end.
        await using var backend = RawBackend.Answering(response);
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        for (var i = 0; i < 3; i++)
        {
            (await proxy.Client.GetStringAsync("/")).ShouldBe("ok");
        }

        backend.Accepted.ShouldBe(3);
    }

    [Fact]
    public async Task Forward_BodyRunsUntilTheBackendCloses_IsRelayedWhole()
    {
        await using var backend = RawBackend.Start(async connection =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + new string('x', 100_000));
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        var body = await proxy.Client.GetStringAsync("/");

        body.Length.ShouldBe(100_000);
        proxy.Host.Pool.All[0].Failures.ShouldBe(0);
    }

    [Fact]
    public async Task Forward_BackendClosedTheKeptAliveConnection_RequestGoesOnANewOne_AndNothingCounts()
    {
        // A backend with a short keep-alive timeout (Node's is 5 s) closes an idle connection
        // the proxy keeps; here it closes right after answering, without saying so.
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = RawBackend.Start(async connection =>
        {
            await connection.ReadHeadAsync();
            await AnswerThenCloseAsync(connection, closed);
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        (await proxy.Client.GetStringAsync("/first")).ShouldBe("ok");
        await closed.Task;
        using var second = await proxy.Client.GetAsync("/second");

        second.StatusCode.ShouldBe(HttpStatusCode.OK);
        backend.Accepted.ShouldBe(2);
        var counted = proxy.Host.Pool.All[0];
        counted.Failures.ShouldBe(0);
        counted.Requests.ShouldBe(2);
    }

    [Fact]
    public async Task Forward_UploadAfterTheBackendClosedTheKeptAliveConnection_GoesOnANewOneWhole()
    {
        // A body cannot be sent twice, so a kept-alive connection is checked before it carries
        // one: the close that arrived while it was idle is seen, and a new connection is made.
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = RawBackend.Start(async connection =>
        {
            if (await connection.ReadHeadAsync() is { } head && head.StartsWith("POST", StringComparison.Ordinal))
            {
                var body = await connection.ReadBodyAsync(5);
                await connection.WriteAsync($"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{Encoding.ASCII.GetString(body)}");
                return;
            }

            await AnswerThenCloseAsync(connection, closed);
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);

        (await proxy.Client.GetStringAsync("/first")).ShouldBe("ok");
        await closed.Task;
        using var upload = await proxy.Client.PostAsync("/upload", new StringContent("hello"));

        upload.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await upload.Content.ReadAsStringAsync()).ShouldBe("hello");
        proxy.Host.Pool.All[0].Failures.ShouldBe(0);
    }

    [Fact]
    public async Task Forward_ChunkedResponse_ReachesTheClientChunkByChunk()
    {
        // A backend streaming events: the second chunk is only sent once the client has the first,
        // so a proxy that waited for more before passing bytes on would hang here.
        var firstSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = RawBackend.Start(async connection =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n");
            await firstSeen.Task.WaitAsync(connection.Stopping);
            await connection.WriteAsync("7\r\nsecond\n\r\n0\r\n\r\n");
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address]);
        await using var client = await RawHttp.ConnectAsync(proxy.ProxyAddress);

        await client.SendAsync("GET /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var first = await client.ReadUntilAsync("first\n");
        firstSeen.SetResult();
        var rest = await client.ReadToEndAsync();

        first.ShouldStartWith("HTTP/1.1 200");
        rest.ShouldContain("second\n");
    }

    /// <summary>
    /// Random damage to valid responses (fixed seed, bounded count), each on its own connection:
    /// whatever a backend sends, the client gets the response relayed, a 502, or a cut
    /// connection; never a 500 and never a hang; and the proxy serves the next request.
    /// </summary>
    [Fact]
    public async Task Forward_MutatedResponses_AreRelayedOrRefused_NeverA500OrAHang()
    {
        string[] valid =
        [
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nnop",
            "HTTP/1.0 200 OK\r\nSet-Cookie: a=1\r\n\r\nuntil close",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
        ];
        byte[] interesting = [(byte)'\r', (byte)'\n', (byte)':', (byte)' ', (byte)'0', (byte)'9', (byte)'-', 0, 0x7F, 0xFF];
        const int Seed = 112520261;
        const int Cases = 60;
        var random = new Random(Seed);
        var current = "";
        await using var backend = RawBackend.Start(async connection =>
        {
            await connection.ReadHeadAsync();
            await connection.WriteAsync(Volatile.Read(ref current));
        });
        await using var proxy = await ProxyUnderTest.StartAsync([backend.Address], s => s with { MaxFails = 1_000_000 });

        for (var i = 0; i < Cases; i++)
        {
            var text = ByteMutations.Damage(random, valid[random.Next(valid.Length)], interesting, anyByte: true);
            Volatile.Write(ref current, text);
            var context = ByteMutations.Describe(Seed, i, text);
            await using var client = await RawHttp.ConnectAsync(proxy.ProxyAddress);

            await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            string answer;
            try
            {
                answer = await client.ReadToEndAsync();
            }
            catch (IOException)
            {
                // A cut connection (an abort is a reset): how a client learns of a broken body.
                answer = "";
            }

            if (answer.Length > 0)
            {
                answer.ShouldStartWith("HTTP/1.1 ", customMessage: context);
                answer.ShouldNotStartWith("HTTP/1.1 500", customMessage: context);
            }
        }

        Volatile.Write(ref current, Ok);
        (await proxy.Client.GetStringAsync("/after")).ShouldBe("ok");
    }

    [Fact]
    public async Task Forward_HttpsBackendWithAnUntrustedCertificate_IsAConnectFailure_NotARequestSentInClear()
    {
        // The TLS handshake fails the default validation (a self-signed certificate): nothing is
        // sent, the client gets a 502 naming the connection, and the backend is ejected like one
        // that refused the connection.
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var handshake = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
            try
            {
                // With TLS 1.3 the server's side of the handshake may complete before the client
                // refuses the certificate; the client then sends an alert, never a request.
                await tls.AuthenticateAsServerAsync(certificate);
                var read = await tls.ReadAsync(new byte[1024]);
                return read == 0 ? "no request" : "a request arrived";
            }
            catch (Exception e) when (e is IOException or AuthenticationException)
            {
                return "no request";
            }
        });
        var address = new Uri($"https://localhost:{((IPEndPoint)listener.LocalEndpoint).Port}");
        await using var proxy = await ProxyUnderTest.StartAsync([address]);

        using var response = await proxy.Client.GetAsync("/");

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        (await response.Content.ReadAsStringAsync()).ShouldContain("could not connect");
        (await handshake).ShouldBe("no request");
        proxy.Host.Pool.All[0].Healthy.ShouldBeFalse();
    }

    /// <summary>
    /// A backend with a short keep-alive timeout, at its shortest: it answers, then closes the
    /// connection without saying so, and signals once it has.
    /// </summary>
    private static async Task AnswerThenCloseAsync(RawBackend.RawConnection connection, TaskCompletionSource closed)
    {
        await connection.WriteAsync(Ok);
        connection.Dispose();
        closed.TrySetResult();
    }
}
