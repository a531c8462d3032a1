using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RoundRobinLab.Backends.Fleet;

namespace RoundRobinLab.Scenarios.Lab;

/// <summary>One start of a proxy: from exec to its first proxied 200, and its memory then.</summary>
public sealed record StartupSample(double MillisecondsToFirstResponse, double ResidentMiB);

/// <summary>
/// Measures a proxy's footprint at start: it launches the binary, and from the moment of the
/// launch sends a request every fraction of a millisecond until one comes back 200 through a
/// backend. Then it reads the process's resident memory and stops it with SIGTERM.
/// With an nginx configuration template, nginx is started the same way in alternate rounds, so
/// that the two medians come from the same minutes of the same machine.
/// </summary>
public static partial class StartupProbe
{
    public static async Task<(List<StartupSample> Proxy, List<StartupSample> Nginx)> RunAsync(string proxyBinary, int rounds, string logFile, string? nginxTemplate = null)
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
                var port = FreePort();
                var start = new ProcessStartInfo(proxyBinary);
                foreach (var arg in new[] { "--backends", backend.ToString().TrimEnd('/'), "--urls", $"http://127.0.0.1:{port}", "--admin-urls", "http://127.0.0.1:0" })
                {
                    start.ArgumentList.Add(arg);
                }

                proxy.Add(await MeasureAsync(start, port, logFile));
                if (nginxTemplate is not null)
                {
                    port = FreePort();
                    var config = Path.Combine(workDirectory.FullName, "nginx.conf");
                    await File.WriteAllTextAsync(config, (await File.ReadAllTextAsync(nginxTemplate))
                        .Replace("@DIR@", workDirectory.FullName, StringComparison.Ordinal)
                        .Replace("@PORT1@", backend.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                        .Replace("@PORT2@", backend.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                        .Replace("@PROXY@", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
                    var nginxStart = new ProcessStartInfo("nginx");
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
            return new StartupSample(elapsed, ResidentMiB(process.Id));
        }
        finally
        {
            // SIGTERM: a graceful stop for both (nginx's master takes its workers with it).
            _ = kill(process.Id, 15);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
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

    private static double ResidentMiB(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
