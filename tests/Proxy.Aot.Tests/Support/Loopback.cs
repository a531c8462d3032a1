using System.Net;
using System.Net.Sockets;

namespace RoundRobinLab.Proxy.Tests.Support;

internal static class Loopback
{
    /// <summary>A loopback address where nothing listens (yet): connecting is refused at once.</summary>
    public static Uri UnusedAddress()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }
}
