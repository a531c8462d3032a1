using System.Text;

namespace RoundRobinLab.Proxy.Tests.Support;

/// <summary>Random damage to valid protocol text, for the parsers' mutation tests (seeded, so a failure can be replayed).</summary>
internal static class ByteMutations
{
    /// <summary>
    /// One to three edits of <paramref name="valid"/>: a byte replaced by or an insertion of one
    /// of <paramref name="interesting"/>, a byte removed, or (with <paramref name="anyByte"/>) a
    /// byte replaced by any value.
    /// </summary>
    public static string Damage(Random random, string valid, byte[] interesting, bool anyByte)
    {
        var bytes = Encoding.Latin1.GetBytes(valid).ToList();
        for (var m = random.Next(1, 4); m > 0 && bytes.Count > 0; m--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(anyByte ? 4 : 3))
            {
                case 0: bytes[at] = interesting[random.Next(interesting.Length)]; break;
                case 1: bytes.Insert(at, interesting[random.Next(interesting.Length)]); break;
                case 2: bytes.RemoveAt(at); break;
                default: bytes[at] = (byte)random.Next(256); break;
            }
        }

        return Encoding.Latin1.GetString([.. bytes]);
    }

    /// <summary>What a failing case prints: the seed, the case and its bytes with CR and LF visible.</summary>
    public static string Describe(int seed, int index, string text) =>
        $"seed {seed}, case {index}: {text.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}";
}
