using System.Net;
using System.Net.Sockets;

namespace RoundRobinLab.Harness;

public static class FreePort
{
    /// <summary>
    /// A loopback port nothing listens on now (the kernel's choice for port 0). Another process
    /// could take it before the caller binds it; on a test machine that race has not shown up.
    /// </summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether nothing accepts connections on loopback <paramref name="port"/> now.</summary>
    public static bool IsFree(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
