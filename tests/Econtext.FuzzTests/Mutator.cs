using System.Buffers.Binary;
using System.Text;
using CsCheck;

namespace Econtext.FuzzTests;

/// <summary>
/// Mutates real frames and payloads the way a broken or hostile peer would: bit flips, bytes and
/// length fields set to extremes, truncation, insertion and deletion, JSON fragments spliced into
/// JSON, and now and then plain noise. Each input is the seed payload's index plus a random seed,
/// so a failure names both and replays exactly.
/// </summary>
internal static class Mutator
{
    private static readonly int[] s_extremeInt32 = [0, 1, -1, int.MinValue, int.MaxValue, 0x7FFF_FFF0, 0x10000, 0x00FF_FFFF, 28, 65535, 65536];
    private static readonly int[] s_extremeUInt16 = [0, 1, 0xFFFF, 0x8000, 0x7FFF, 0x100];
    private static readonly byte[][] s_jsonFragments =
    [
        "null"u8.ToArray(), "\""u8.ToArray(), "{"u8.ToArray(), "}"u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(),
        "1e400"u8.ToArray(), "-"u8.ToArray(), "\"\\u"u8.ToArray(), "99999999999999999999999"u8.ToArray(),
        "\"NaN\""u8.ToArray(), "\"-Infinity\""u8.ToArray(), "-0"u8.ToArray(), "0.5"u8.ToArray(), "true"u8.ToArray(),
        "\"$type\":"u8.ToArray(), "\"$ref\":\"1\""u8.ToArray(), "\"$id\":\"1\""u8.ToArray(), ","u8.ToArray(), ":"u8.ToArray(),
        "2147483648"u8.ToArray(), "-2147483649"u8.ToArray(), "\"2024-13-45T99:99:99\""u8.ToArray(), "\"not base64!\""u8.ToArray(),
        "\"\\ud800\""u8.ToArray(), [0xC3, 0x28], [0xFF, 0xFE], "/*"u8.ToArray(),
    ];

    /// <summary>Inputs drawn from <paramref name="seeds"/>, mutated (one in ten left as it is, so valid paths run too).</summary>
    public static Gen<byte[]> From(IReadOnlyList<byte[]> seeds) =>
        Gen.Select(Gen.Int[0, seeds.Count - 1], Gen.Int, (index, seed) => Mutate(seeds[index], seed));

    public static byte[] Mutate(byte[] original, int seed)
    {
        var random = new Random(seed);
        if (random.Next(10) == 0)
        {
            return original;
        }

        var bytes = new List<byte>(original);
        int steps = 1 + random.Next(4);
        for (int i = 0; i < steps; i++)
        {
            Step(bytes, random);
        }

        return [.. bytes];
    }

    private static void Step(List<byte> bytes, Random random)
    {
        int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
        switch (random.Next(11))
        {
            case 0 when bytes.Count > 0:
                bytes[at] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when bytes.Count > 0:
                bytes[at] = (byte)(random.Next(4) switch { 0 => 0, 1 => 0xFF, 2 => 0x80, _ => random.Next(256) });
                break;
            case 2 when bytes.Count >= 4:
                // A length or count field set to an extreme, at a 4-byte boundary or anywhere.
                int at4 = random.Next(2) == 0 ? (at & ~3) : at;
                at4 = Math.Min(at4, bytes.Count - 4);
                Span<byte> four = stackalloc byte[4];
                BinaryPrimitives.WriteInt32BigEndian(four, s_extremeInt32[random.Next(s_extremeInt32.Length)] + (random.Next(3) - 1));
                for (int k = 0; k < 4; k++)
                {
                    bytes[at4 + k] = four[k];
                }

                break;
            case 3 when bytes.Count >= 2:
                int at2 = Math.Min(at, bytes.Count - 2);
                int value = s_extremeUInt16[random.Next(s_extremeUInt16.Length)];
                bytes[at2] = (byte)(value >> 8);
                bytes[at2 + 1] = (byte)value;
                break;
            case 4:
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            case 5:
                bytes.InsertRange(at, RandomBytes(random, 1 + random.Next(16)));
                break;
            case 6 when bytes.Count > 0:
                bytes.RemoveRange(at, Math.Min(1 + random.Next(16), bytes.Count - at));
                break;
            case 7:
            case 8:
                bytes.InsertRange(at, s_jsonFragments[random.Next(s_jsonFragments.Length)]);
                break;
            case 9 when bytes.Count > 0:
                // A JSON fragment over what was there.
                byte[] fragment = s_jsonFragments[random.Next(s_jsonFragments.Length)];
                for (int k = 0; k < fragment.Length && at + k < bytes.Count; k++)
                {
                    bytes[at + k] = fragment[k];
                }

                break;
            case 10 when random.Next(8) == 0:
                bytes.Clear();
                bytes.AddRange(RandomBytes(random, random.Next(64)));
                break;
            default:
                bytes.AddRange(RandomBytes(random, random.Next(8)));
                break;
        }
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        byte[] bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>How a failing input is printed: hex, to paste into a regression test.</summary>
    public static string Print(byte[] input) =>
        input.Length <= 4096 ? Convert.ToHexString(input) : Convert.ToHexString(input, 0, 4096) + $"... ({input.Length} bytes)";

    public static string Describe(byte[] input) => Encoding.UTF8.GetString(input);
}
