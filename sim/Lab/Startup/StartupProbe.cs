using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RoundRobinLab.Backends.Fleet;
using RoundRobinLab.Harness;
using RoundRobinLab.Lab.Compare;

namespace RoundRobinLab.Lab.Startup;

/// <summary>One start of a proxy: from exec to its first proxied 200, and its memory then.</summary>
internal sealed record StartupSample(double MillisecondsToFirstResponse, double ResidentMiB);

/// <summary>
/// Measures a proxy's footprint at start: it launches the binary, and from the moment of the
/// launch sends a request every fraction of a millisecond until one comes back 200 through a
/// backend. Then it reads the process's resident memory and stops it with SIGTERM.
/// With an nginx configuration template, nginx is started the same way in alternate rounds, so
/// that the two medians come from the same minutes of the same machine.
/// </summary>
internal static class StartupProbe
{
    public static async Task<(List<StartupSample> Proxy, List<StartupSample> Nginx)> RunAsync(string proxyBinary, int rounds, string logFile, string? nginxBinary, string nginxTemplate, CancellationToken cancellationToken)
    {
        await using var fleet = await BackendFleet.StartAsync(new FleetOptions { Count = 1, BasePort = 0, Mode = BackendMode.Lean });
        var backend = fleet.Backends[0].Url;
        var workDirectory = Directory.CreateTempSubdirectory("rrproxy-startup-");
        var proxy = new List<StartupSample>();
        var nginx = new List<StartupSample>();
        try
        {
            for (var round = 0; round < rounds; round++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var port = FreePort.Next();
                var start = new ProcessStartInfo(proxyBinary);
                foreach (var arg in new[] { "--backends", backend.ToString().TrimEnd('/'), "--urls", $"http://127.0.0.1:{port}", "--admin-urls", "http://127.0.0.1:0" })
                {
                    start.ArgumentList.Add(arg);
                }

                proxy.Add(await MeasureAsync(start, port, logFile));
                if (nginxBinary is not null)
                {
                    port = FreePort.Next();
                    var config = Path.Combine(workDirectory.FullName, "nginx.conf");
                    await File.WriteAllTextAsync(config, ConfigTemplate.Fill(nginxTemplate, workDirectory.FullName, backend.Port, backend.Port, port), cancellationToken);
                    var nginxStart = new ProcessStartInfo(nginxBinary);
                    foreach (var arg in new[] { "-c", config, "-g", "daemon off;" })
                    {
                        nginxStart.ArgumentList.Add(arg);
                    }

                    nginx.Add(await MeasureAsync(nginxStart, port, logFile));
                }
            }
        }
        finally
        {
            workDirectory.Delete(recursive: true);
        }

        return (proxy, nginx);
    }

    private static async Task<StartupSample> MeasureAsync(ProcessStartInfo start, int port, string logFile)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            while (!await TryGetOkAsync(port))
            {
                if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(20))
                {
                    throw new InvalidOperationException($"{start.FileName} did not answer within 20 s (exit: {(process.HasExited ? process.ExitCode : "still running")}).");
                }
            }

            var elapsed = clock.Elapsed.TotalMilliseconds;
            return new StartupSample(elapsed, ProcFs.ResidentMiB(process.Id));
        }
        finally
        {
            // SIGTERM: a graceful stop for both (nginx's master takes its workers with it).
            await GracefulStop.StopAsync(process, LabDefaults.StopTimeout);
            await File.AppendAllTextAsync(logFile, await output + await errors);
        }
    }

    private static async Task<bool> TryGetOkAsync(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, port);
        }
        catch (SocketException)
        {
            // Not listening yet: try again at once; a refused connect on loopback takes microseconds.
            return false;
        }

        await socket.SendAsync("GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n"u8.ToArray());
        var buffer = new byte[64];
        var read = await socket.ReceiveAsync(buffer);
        return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
    }
}
