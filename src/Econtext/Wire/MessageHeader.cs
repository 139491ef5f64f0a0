using System.Buffers.Binary;

namespace Econtext.Wire;

/// <summary>
/// The fixed 28-byte header in front of every frame. Big-endian, documented byte by byte in
/// docs/protocol.md: magic "EC", version, flags, dst, src, auth, handle, reply-to, length.
/// </summary>
internal readonly record struct MessageHeader(
    int Dst,
    int Src,
    int Auth,
    int Handle,
    int ReplyTo,
    MessageFlags Flags,
    int Length)
{
    public const int Size = 28;
    public const byte Magic0 = (byte)'E';
    public const byte Magic1 = (byte)'C';
    public const byte Version = 1;

    public void Write(Span<byte> destination)
    {
        destination[0] = Magic0;
        destination[1] = Magic1;
        destination[2] = Version;
        destination[3] = (byte)Flags;
        BinaryPrimitives.WriteInt32BigEndian(destination[4..], Dst);
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], Src);
        BinaryPrimitives.WriteInt32BigEndian(destination[12..], Auth);
        BinaryPrimitives.WriteInt32BigEndian(destination[16..], Handle);
        BinaryPrimitives.WriteInt32BigEndian(destination[20..], ReplyTo);
        BinaryPrimitives.WriteInt32BigEndian(destination[24..], Length);
    }

    /// <summary>Parses a header; returns an explanation instead of throwing when the bytes are not one.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, int maxLength, out MessageHeader header, out string? error)
    {
        header = default;
        if (source[0] != Magic0 || source[1] != Magic1)
        {
            error = $"bad magic 0x{source[0]:x2}{source[1]:x2} (expected 0x4543, \"EC\"): the peer is not speaking the Econtext protocol or the stream lost sync";
            return false;
        }

        if (source[2] != Version)
        {
            error = $"protocol version {source[2]} is not supported (this side speaks version {Version}); use the same Econtext version on both sides";
            return false;
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(source[24..]);
        if (length < 0 || length > maxLength)
        {
            error = $"frame announces {(uint)length} bytes, over the maximum message size of {maxLength} bytes (RouterOptions.MaxMessageSize)";
            return false;
        }

        header = new MessageHeader(
            Dst: BinaryPrimitives.ReadInt32BigEndian(source[4..]),
            Src: BinaryPrimitives.ReadInt32BigEndian(source[8..]),
            Auth: BinaryPrimitives.ReadInt32BigEndian(source[12..]),
            Handle: BinaryPrimitives.ReadInt32BigEndian(source[16..]),
            ReplyTo: BinaryPrimitives.ReadInt32BigEndian(source[20..]),
            Flags: (MessageFlags)source[3],
            Length: length);
        error = null;
        return true;
    }
}
