using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Econtext.Wire;

/// <summary>
/// Builds one outgoing frame in a single pooled buffer: header space first, payload after, so a frame
/// leaves in one write. Serializers write into it as an <see cref="IBufferWriter{T}"/>.
/// </summary>
internal sealed class FrameBuilder : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _position;

    public FrameBuilder(int capacity = 256)
    {
        _buffer = LargeBuffers.Rent(Math.Max(capacity, 64) + MessageHeader.Size);
        _position = MessageHeader.Size;
    }

    /// <summary>Bytes written after the header so far.</summary>
    public int PayloadLength => _position - MessageHeader.Size;

    public void Advance(int count) => _position += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_position);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_position);
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(GetSpan(4), value);
        _position += 4;
    }

    public void WriteUInt16(int value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(GetSpan(2), checked((ushort)value));
        _position += 2;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        _position += bytes.Length;
    }

    /// <summary>A UTF-8 string behind a u16 length.</summary>
    public void WriteShortString(string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> span = GetSpan(max + 2);
        int written = Encoding.UTF8.GetBytes(value, span[2..]);
        BinaryPrimitives.WriteUInt16BigEndian(span, checked((ushort)written));
        _position += written + 2;
    }

    /// <summary>Reserves 4 bytes for a length written later with <see cref="PatchInt32"/>.</summary>
    public int ReserveInt32()
    {
        int at = _position;
        GetSpan(4);
        _position += 4;
        return at;
    }

    public void PatchInt32(int at, int value) => BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(at), value);

    public int Position => _position;

    /// <summary>The completed frame, header included.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _position);

    /// <summary>Writes the header and returns the whole frame (header + payload).</summary>
    public ReadOnlyMemory<byte> Complete(int dst, int src, int auth, int handle, int replyTo, MessageFlags flags)
    {
        new MessageHeader(dst, src, auth, handle, replyTo, flags, PayloadLength).Write(_buffer);
        return _buffer.AsMemory(0, _position);
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0)
        {
            LargeBuffers.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1)
        {
            sizeHint = 256;
        }

        if (_buffer.Length - _position >= sizeHint)
        {
            return;
        }

        long wanted = Math.Max((long)_buffer.Length * 2, (long)_position + sizeHint);
        if (wanted > Array.MaxLength)
        {
            wanted = Array.MaxLength;
        }

        if (wanted - _position < sizeHint)
        {
            throw new InsufficientMemoryException($"a message cannot grow past {Array.MaxLength} bytes");
        }

        byte[] bigger = LargeBuffers.Rent((int)wanted);
        _buffer.AsSpan(0, _position).CopyTo(bigger);
        LargeBuffers.Return(_buffer);
        _buffer = bigger;
    }
}
