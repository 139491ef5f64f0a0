using System.Buffers.Binary;
using System.IO.Compression;
using Econtext.Bootstrap;

namespace Econtext.Tests;

/// <summary>
/// The preamble's first fields, as docs/protocol.md lays them out and the stage-1 loader reads them:
/// the core raw, or (top bit of the length set) its inflated length and raw DEFLATE; either way the
/// metadata token of the method the loader calls.
/// </summary>
public sealed class PreambleTests
{
    private static readonly ChildConfig s_config = new(7, 1, "test", 1 << 20, 2, []);

    [Fact]
    public void Raw_core_is_its_length_then_its_bytes_then_the_rest()
    {
        byte[] preamble = Write(deflateCore: false);
        int length = BinaryPrimitives.ReadInt32BigEndian(preamble);
        Assert.True(length > 100_000, $"a core of {length} bytes");
        AssertIsTheEntryMethod(BinaryPrimitives.ReadInt32BigEndian(preamble.AsSpan(4)));
        byte[] core = preamble[8..(8 + length)];
        Assert.Equal(File.ReadAllBytes(typeof(Router).Assembly.Location), core);
        AssertRestIsTheConfig(preamble.AsSpan(8 + length));
    }

    [Fact]
    public void Deflated_core_sets_the_top_bit_and_inflates_to_the_same_image()
    {
        byte[] raw = Write(deflateCore: false);
        byte[] core = raw[8..(8 + BinaryPrimitives.ReadInt32BigEndian(raw))];

        byte[] preamble = Write(deflateCore: true);
        int first = BinaryPrimitives.ReadInt32BigEndian(preamble);
        Assert.True(first < 0, "the top bit marks a compressed core");
        int packed = first & int.MaxValue;
        Assert.Equal(core.Length, BinaryPrimitives.ReadInt32BigEndian(preamble.AsSpan(4)));
        AssertIsTheEntryMethod(BinaryPrimitives.ReadInt32BigEndian(preamble.AsSpan(8)));
        Assert.True(packed < core.Length * 3 / 4, $"{packed} bytes packed for a {core.Length}-byte core");

        var inflated = new byte[core.Length];
        using (var inflate = new DeflateStream(new MemoryStream(preamble, 12, packed), CompressionMode.Decompress))
        {
            inflate.ReadExactly(inflated);
            Assert.Equal(0, inflate.Read(new byte[1]));
        }

        Assert.Equal(core, inflated);
        AssertRestIsTheConfig(preamble.AsSpan(12 + packed));
    }

    private static byte[] Write(bool deflateCore)
    {
        using var output = new MemoryStream();
        int written = Preamble.Write(output, s_config, deflateCore);
        Assert.Equal(output.Length, written);
        return output.ToArray();
    }

    /// <summary>The loader resolves this token in the core it received and calls the method.</summary>
    private static void AssertIsTheEntryMethod(int token)
    {
        System.Reflection.MethodBase? method = typeof(Router).Assembly.ManifestModule.ResolveMethod(token);
        Assert.Equal("Econtext.Bootstrap.ChildMain.Run", method!.DeclaringType!.FullName + "." + method.Name);
        Assert.True(method.IsStatic);
    }

    /// <summary>What follows the core is what the child's core reads: the configuration and the dependencies.</summary>
    private static void AssertRestIsTheConfig(ReadOnlySpan<byte> rest)
    {
        (ChildConfig config, List<(string Name, byte[] Image)> dependencies) = Preamble.Read(new MemoryStream(rest.ToArray()));
        Assert.Equal(s_config.Id, config.Id);
        Assert.Equal(s_config.Name, config.Name);
        Assert.Equal(["Microsoft.Extensions.Logging.Abstractions"], dependencies.Select(d => d.Name));
    }
}
