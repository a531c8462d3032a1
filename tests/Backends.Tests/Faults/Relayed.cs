using RoundRobinLab.Backends.Faults;

namespace RoundRobinLab.Backends.Tests.Faults;

/// <summary>A <see cref="TcpPeer"/> with a listening relay in front of it, disposed together.</summary>
internal sealed class Relayed : IAsyncDisposable
{
    private Relayed(TcpPeer peer, TcpRelay relay)
    {
        Peer = peer;
        Relay = relay;
    }

    public TcpPeer Peer { get; }

    public TcpRelay Relay { get; }

    public static Relayed Start(TcpPeer peer, IReadOnlyList<Toxic>? toxics = null, Random? random = null)
    {
        var relay = new TcpRelay(peer.Port, random: random) { Toxics = toxics ?? [] };
        relay.Listen();
        return new Relayed(peer, relay);
    }

    public Task<System.Net.Sockets.Socket> ConnectAsync() => TcpClientSide.ConnectAsync(Relay.Port);

    public async ValueTask DisposeAsync()
    {
        await Relay.DisposeAsync();
        await Peer.DisposeAsync();
    }
}
