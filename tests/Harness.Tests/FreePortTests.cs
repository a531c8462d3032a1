using System.Net;
using System.Net.Sockets;

namespace RoundRobinLab.Harness.Tests;

public sealed class FreePortTests
{
    [Fact]
    public void IsFree_APortSomethingListensOn_IsFalse_AndTrueOnceItStops()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        FreePort.IsFree(port).ShouldBeFalse();
        listener.Stop();
        FreePort.IsFree(port).ShouldBeTrue();
    }

    [Fact]
    public void Next_GivesAPortNothingListensOn() => FreePort.IsFree(FreePort.Next()).ShouldBeTrue();
}
