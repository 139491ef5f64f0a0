using System.Buffers.Binary;
using System.Text;

namespace Econtext.Wire;

/// <summary>Reads the binary framing inside a payload; every overrun is a <see cref="ProtocolViolationException"/>.</summary>
internal ref struct PayloadReader(ReadOnlySpan<byte> payload)
{
    private readonly ReadOnlySpan<byte> _payload = payload;
    private int _position;

    public readonly int Position => _position;

    public readonly int Remaining => _payload.Length - _position;

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public int ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public string ReadShortString() => Encoding.UTF8.GetString(Take(ReadUInt16()));

    public ReadOnlySpan<byte> ReadBytes(int count) => Take(count);

    /// <summary>A block behind an i32 length.</summary>
    public ReadOnlySpan<byte> ReadBlock()
    {
        int length = ReadInt32();
        return Take(length);
    }

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _payload.Length - _position)
        {
            throw new ProtocolViolationException(
                $"payload ends early: wanted {count} bytes at offset {_position}, {_payload.Length - _position} left");
        }

        ReadOnlySpan<byte> slice = _payload.Slice(_position, count);
        _position += count;
        return slice;
    }
}
