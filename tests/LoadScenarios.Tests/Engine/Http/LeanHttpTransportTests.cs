using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RoundRobinLab.Scenarios.Engine;
using RoundRobinLab.Scenarios.Engine.Http;

namespace RoundRobinLab.Scenarios.Tests.Engine.Http;

/// <summary>The lean client against a raw loopback server that answers byte for byte as each test says.</summary>
public sealed class LeanHttpTransportTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Backend-Id: b7\r\n\r\nok";

    private static LeanHttpTransport Transport(Uri target, TimeSpan? timeout = null, bool newConnectionPerRequest = false) => new(new LoadOptions
    {
        Target = target,
        Simulation = LoadSimulation.Users(1, TimeSpan.FromSeconds(1)),
        ClientTimeout = timeout ?? TimeSpan.FromSeconds(5),
        NewConnectionPerRequest = newConnectionPerRequest,
    }, CancellationToken.None);

    private static async Task<ExchangeResult[]> SendAsync(Uri target, int count, TimeSpan? timeout = null, bool newConnectionPerRequest = false, Func<int, RequestSpec>? spec = null)
    {
        using var transport = Transport(target, timeout, newConnectionPerRequest);
        using var user = transport.OpenUser();
        var results = new ExchangeResult[count];
        for (var i = 0; i < count; i++)
        {
            // Bounded: a client that never answers fails the test instead of hanging it.
            results[i] = await user.SendAsync(spec?.Invoke(i) ?? RequestSpec.Get("/x")).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }

        return results;
    }

    [Fact]
    public async Task ContentLength_GivesStatusBytesAndBackend()
    {
        await using var server = new RawHttpServer((_, socket) => RawHttpServer.Write(socket, "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nx-backend-id:  b7 \r\n\r\nhello"));

        var result = (await SendAsync(server.Address, 1)).Single();

        result.ShouldBe(ExchangeResult.Answered(201, 5, "b7"));
        server.Requests.Single().Head.ShouldBe($"GET /x HTTP/1.1\r\nHost: 127.0.0.1:{server.Address.Port}\r\n\r\n");
    }

    [Fact]
    public async Task Chunked_CountsTheDataNotTheFraming_AndKeepsTheConnection()
    {
        // The chunks come in three writes, split inside a size line and inside the data.
        await using var server = new RawHttpServer(async (_, socket) =>
        {
            await RawHttpServer.Write(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
            await RawHttpServer.Write(socket, "lo\r\n1");
            await RawHttpServer.Write(socket, "0;ext=1\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\n");
        });

        var results = await SendAsync(server.Address, 3);

        results.ShouldAllBe(r => r == ExchangeResult.Answered(200, 21, null));
        server.Accepted.ShouldBe(1);
    }

    [Fact]
    public async Task KeepAlive_ManyRequestsOnOneConnection()
    {
        await using var server = new RawHttpServer((_, socket) => RawHttpServer.Write(socket, Ok));

        var results = await SendAsync(server.Address, 200);

        results.ShouldAllBe(r => r == ExchangeResult.Answered(200, 2, "b7"));
        server.Accepted.ShouldBe(1);
        server.Requests.Select(r => r.OnConnection).ShouldBe(Enumerable.Range(0, 200));
    }

    [Fact]
    public async Task ConnectionClose_NextRequestOnANewConnection()
    {
        await using var server = new RawHttpServer(async (_, socket) =>
        {
            await RawHttpServer.Write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            socket.Shutdown(SocketShutdown.Send);
        });

        var results = await SendAsync(server.Address, 3);

        results.ShouldAllBe(r => r == ExchangeResult.Answered(200, 2, null));
        server.Accepted.ShouldBe(3);
    }

    [Fact]
    public async Task NewConnectionPerRequest_AsksForCloseAndReconnects()
    {
        await using var server = new RawHttpServer((_, socket) => RawHttpServer.Write(socket, Ok));

        var results = await SendAsync(server.Address, 3, newConnectionPerRequest: true);

        results.ShouldAllBe(r => r == ExchangeResult.Answered(200, 2, "b7"));
        server.Accepted.ShouldBe(3);
        server.Requests.ShouldAllBe(r => r.Head.Contains("\r\nConnection: close\r\n", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoLength_BodyReadToTheClose()
    {
        await using var server = new RawHttpServer(async (_, socket) =>
        {
            await RawHttpServer.Write(socket, "HTTP/1.1 200 OK\r\n\r\n");
            await RawHttpServer.Write(socket, new string('x', 100_000));
            socket.Shutdown(SocketShutdown.Send);
        });

        var results = await SendAsync(server.Address, 2);

        results.ShouldAllBe(r => r == ExchangeResult.Answered(200, 100_000, null));
        server.Accepted.ShouldBe(2);
    }

    [Fact]
    public async Task Head_HasNoBody_WhateverItsContentLengthSays()
    {
        await using var server = new RawHttpServer((_, socket) => RawHttpServer.Write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"));

        var results = await SendAsync(server.Address, 2, spec: _ => new RequestSpec("HEAD", "/x"));

        results.ShouldAllBe(r => r == ExchangeResult.Answered(200, 0, null));
        server.Accepted.ShouldBe(1);
    }

    [Fact]
    public async Task Bodies_SentWithTheirLength_SmallAndLarge()
    {
        await using var server = new RawHttpServer((_, socket) => RawHttpServer.Write(socket, Ok));
        var bodies = new RequestBodies();

        var results = await SendAsync(server.Address, 3, spec: i => new RequestSpec("POST", "/items", i == 1 ? 1024 * 1024 : 1000));

        results.ShouldAllBe(r => r.Status == 200);
        var requests = server.Requests;
        requests[0].Head.ShouldContain("\r\nContent-Length: 1000\r\n");
        requests[0].Body.ShouldBe(bodies.Of(1000));
        requests[1].Body.ShouldBe(bodies.Of(1024 * 1024));
        requests[2].Body.ShouldBe(bodies.Of(1000));
    }

    [Fact]
    public async Task ResetMidBody_IsReset()
    {
        await using var server = new RawHttpServer(async (_, socket) =>
        {
            await RawHttpServer.Write(socket, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly some");
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        });

        var result = (await SendAsync(server.Address, 1)).Single();

        result.ShouldBe(ExchangeResult.Failed(ErrorKind.Reset));
    }

    [Fact]
    public async Task ClosedMidBody_IsReset()
    {
        await using var server = new RawHttpServer(async (_, socket) =>
        {
            await RawHttpServer.Write(socket, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
            socket.Shutdown(SocketShutdown.Send);
        });

        var result = (await SendAsync(server.Address, 1)).Single();

        result.ShouldBe(ExchangeResult.Failed(ErrorKind.Reset));
    }

    [Theory]
    [InlineData("HTTP/1.1 2x0 OK\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: nine\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    public async Task Malformed_IsBadResponse(string answer)
    {
        await using var server = new RawHttpServer((_, socket) => RawHttpServer.Write(socket, answer));

        var result = (await SendAsync(server.Address, 1)).Single();

        result.ShouldBe(ExchangeResult.Failed(ErrorKind.BadResponse));
    }

    [Fact]
    public async Task Refused_IsConnect()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var results = await SendAsync(new Uri($"http://127.0.0.1:{port}/"), 3);

        results.ShouldAllBe(r => r == ExchangeResult.Failed(ErrorKind.Connect));
    }

    [Fact]
    public async Task SlowServer_IsTimeout_AfterTheClientTimeout()
    {
        // Reads the request, never answers.
        await using var server = new RawHttpServer((_, _, stopping) => Task.Delay(Timeout.Infinite, stopping));
        var clock = Stopwatch.StartNew();

        var result = (await SendAsync(server.Address, 1, timeout: TimeSpan.FromMilliseconds(300))).Single();

        result.ShouldBe(ExchangeResult.Failed(ErrorKind.Timeout));
        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(300));
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task ReusedConnectionClosedBeforeAnAnswer_SentOnceMoreOnANewOne()
    {
        // The first connection answers its first request, then closes on the second without a
        // byte (as a server whose keep-alive timeout ran out just then): that request is sent again.
        await using var server = new RawHttpServer(async (request, socket) =>
        {
            if (request.Connection == 0 && request.OnConnection == 1)
            {
                socket.Close();
                return;
            }

            await RawHttpServer.Write(socket, Ok);
        });

        var results = await SendAsync(server.Address, 3);

        results.ShouldAllBe(r => r == ExchangeResult.Answered(200, 2, "b7"));
        server.Accepted.ShouldBe(2);
        server.Requests.Count.ShouldBe(4);
    }

    [Fact]
    public async Task NewConnectionClosedBeforeAnAnswer_IsReset()
    {
        await using var server = new RawHttpServer((_, socket) =>
        {
            socket.Close();
            return Task.CompletedTask;
        });

        var result = (await SendAsync(server.Address, 1)).Single();

        result.ShouldBe(ExchangeResult.Failed(ErrorKind.Reset));
        server.Accepted.ShouldBe(1);
    }

    [Fact]
    public async Task Shared_ReusesIdleConnections()
    {
        await using var server = new RawHttpServer((_, socket) => RawHttpServer.Write(socket, Ok));
        using var transport = Transport(server.Address);

        // Four at a time, 100 times: four connections at most, whatever the order they finish in.
        for (var round = 0; round < 100; round++)
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => transport.Shared.SendAsync(RequestSpec.Get()).AsTask().WaitAsync(TimeSpan.FromSeconds(10))));
            results.ShouldAllBe(r => r == ExchangeResult.Answered(200, 2, "b7"));
        }

        server.Accepted.ShouldBeLessThanOrEqualTo(4);
        server.Requests.Count.ShouldBe(400);
    }
}
