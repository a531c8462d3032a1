namespace RoundRobinLab.Scenarios.Engine.Http;

/// <summary>
/// The X-Backend-Id values a connection has seen, as strings made once: a run sees a handful of
/// backends, so a linear search over the bytes beats allocating a string per response.
/// </summary>
internal sealed class BackendIdCache
{
    private const int Capacity = 32;
    private readonly byte[][] _bytes = new byte[Capacity][];
    private readonly string[] _strings = new string[Capacity];
    private int _count;

    public string Get(ReadOnlySpan<byte> value)
    {
        for (var i = 0; i < _count; i++)
        {
            if (value.SequenceEqual(_bytes[i]))
            {
                return _strings[i];
            }
        }

        var text = System.Text.Encoding.Latin1.GetString(value);
        if (_count < Capacity)
        {
            _bytes[_count] = value.ToArray();
            _strings[_count] = text;
            _count++;
        }

        return text;
    }
}
