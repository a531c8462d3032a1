namespace RoundRobinLab.Harness.Tests;

public sealed class ProxyProcessTests
{
    [Fact]
    public async Task StartAsync_NoBinaryThere_SaysWhereItLooked() =>
        (await Should.ThrowAsync<FileNotFoundException>(() => ProxyProcess.StartAsync(new ProxyStart { Binary = "/no/such/rrproxy" })))
            .Message.ShouldContain("/no/such/rrproxy");

    [Fact]
    public async Task StartAsync_AProgramThatExitsBeforeItIsReady_FailsAtOnceWithItsLastWords()
    {
        // A stand-in for a proxy refusing its settings: one line on stderr, exit 2, no listener.
        var script = Path.Combine(Path.GetTempPath(), $"fake-rrproxy-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho 'rrproxy: --backends (Proxy:Backends) is required' >&2\nexit 2\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();

            var error = await Should.ThrowAsync<InvalidOperationException>(() => ProxyProcess.StartAsync(new ProxyStart { Binary = script }));

            error.Message.ShouldContain("exited with code 2");
            error.Message.ShouldContain("--backends (Proxy:Backends) is required");
            // The exit ends the wait, not the 20 s readiness bound.
            clock.Elapsed.ShouldBeLessThan(LabDefaults.ReadyTimeout / 2);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [SkippableFact]
    [Trait("Category", "Smoke")]
    public async Task StartAsync_ThePublishedProxy_IsReadyWhenItsAdminAnswers_AndServesThen()
    {
        var binary = Environment.GetEnvironmentVariable("LAB_PROXY_BINARY");
        Skip.If(string.IsNullOrEmpty(binary) || !File.Exists(binary), "LAB_PROXY_BINARY is not set; ./run-lab.sh test publishes the binary and runs this.");
        // No backend answers: /healthz says 503, which still means the listeners are up.
        await using var proxy = await ProxyProcess.StartAsync(new ProxyStart { Binary = binary!, Arguments = ["--backends", $"http://127.0.0.1:{FreePort.Next()}"] });
        using var client = new HttpClient();

        using var answer = await client.GetAsync(proxy.ProxyAddress);

        // The proxied listener answers at once: a 502 from the proxy, not a refused connection.
        ((int)answer.StatusCode).ShouldBe(502);
        proxy.Send(Signal.Terminate);
        (await proxy.WaitForExitAsync(TimeSpan.FromSeconds(10))).ShouldBe(0);
    }
}
