namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>Request bodies by size, made once and shared: random bytes, the same for a size in every run.</summary>
internal sealed class RequestBodies
{
    private readonly Dictionary<int, byte[]> _bodies = [];
    private readonly Lock _gate = new();

    public byte[] Of(int size)
    {
        lock (_gate)
        {
            if (!_bodies.TryGetValue(size, out var body))
            {
                body = new byte[size];
                new Random(size).NextBytes(body);
                _bodies[size] = body;
            }

            return body;
        }
    }
}
