using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Econtext.Wire;

/// <summary>
/// Builds one outgoing frame in a single pooled buffer: header space first, payload after, so a frame
/// leaves in one write. Serializers write into it as an <see cref="IBufferWriter{T}"/>. A large array
/// the frame may own until it is written (a file chunk from the chunk pool) can end the payload
/// without being copied into it: <see cref="EndWith"/>; the frame is then written as its buffer,
/// then that <see cref="Tail"/>.
/// </summary>
internal sealed class FrameBuilder : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _position;
    private byte[]? _tail;
    private Action<byte[]>? _releaseTail;

    public FrameBuilder(int capacity = 256)
    {
        _buffer = LargeBuffers.Rent(Math.Max(capacity, 64) + MessageHeader.Size);
        _position = MessageHeader.Size;
    }

    /// <summary>Bytes written after the header so far, the <see cref="Tail"/> included.</summary>
    public int PayloadLength => _position - MessageHeader.Size + (_tail?.Length ?? 0);

    /// <summary>The whole frame's length: header, buffer and <see cref="Tail"/>.</summary>
    public int Length => _position + (_tail?.Length ?? 0);

    /// <summary>The last part of the payload, written after <see cref="Written"/>; empty unless <see cref="EndWith"/> was called.</summary>
    public ReadOnlyMemory<byte> Tail => _tail;

    /// <summary>Whether <paramref name="array"/> is this frame's <see cref="Tail"/> (it then goes back through the frame's release, not its owner's).</summary>
    public bool Holds(object? array) => array is not null && ReferenceEquals(array, _tail);

    /// <summary>
    /// Ends the payload with <paramref name="tail"/>, not copied: the frame owns it from now on,
    /// nothing may be written after it, and <paramref name="release"/> gets it back once the frame
    /// is written or thrown away (<see cref="Dispose"/>). Saves copying each file chunk into its
    /// frame (a 256 KiB memmove per chunk, and a 512 KiB pooled frame buffer per chunk in flight).
    /// </summary>
    public void EndWith(byte[] tail, Action<byte[]> release)
    {
        if (_tail is not null)
        {
            throw new InvalidOperationException("a frame has one tail");
        }

        _tail = tail;
        _releaseTail = release;
    }

    public void Advance(int count)
    {
        EnsureOpen();
        _position += count;
    }

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

    /// <summary>The completed frame, header included, up to its <see cref="Tail"/> (if any), which follows it.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _position);

    /// <summary>Writes the header and returns the frame (header + payload) up to its <see cref="Tail"/>, if any.</summary>
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

        if (Interlocked.Exchange(ref _tail, null) is { } tail)
        {
            _releaseTail!(tail);
        }
    }

    private void EnsureOpen()
    {
        if (_tail is not null)
        {
            throw new InvalidOperationException("nothing may be written after a frame's tail");
        }
    }

    private void Ensure(int sizeHint)
    {
        EnsureOpen();
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
