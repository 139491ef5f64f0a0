using System.Buffers.Binary;

namespace Econtext.Cli.Agent.Client;

/// <summary>
/// The framing between client and agent: a 4-byte little-endian payload length, a kind byte, the payload.
/// Writes from several tasks are serialized by the caller (<see cref="AgentFrameWriter"/>).
/// </summary>
internal static class AgentFrames
{
    /// <summary>Larger frames are refused: no honest request or output chunk comes near it.</summary>
    public const int MaxPayload = 16 * 1024 * 1024;

    /// <summary>The length (4 bytes) and the kind (1) before each payload.</summary>
    public const int HeaderSize = 5;

    /// <summary>Writes a frame's header into the first <see cref="HeaderSize"/> bytes of <paramref name="destination"/>.</summary>
    public static void WriteHeader(Span<byte> destination, AgentFrameKind kind, int payloadLength)
    {
        BinaryPrimitives.WriteInt32LittleEndian(destination, payloadLength);
        destination[4] = (byte)kind;
    }

    public static async Task WriteAsync(Stream stream, AgentFrameKind kind, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        byte[] header = new byte[HeaderSize];
        WriteHeader(header, kind, payload.Length);
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        if (!payload.IsEmpty)
        {
            await stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        }

        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The next frame, or null at a clean end of the stream.</summary>
    /// <exception cref="InvalidDataException">A frame over <see cref="MaxPayload"/>, or the stream ended inside one.</exception>
    public static async Task<(AgentFrameKind Kind, byte[] Payload)?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] header = new byte[HeaderSize];
        int got = await ReadFullyAsync(stream, header, cancellationToken).ConfigureAwait(false);
        if (got == 0)
        {
            return null;
        }

        if (got < header.Length)
        {
            throw new InvalidDataException("the connection ended inside a frame header");
        }

        int length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length is < 0 or > MaxPayload)
        {
            throw new InvalidDataException($"a frame of {length} bytes is over the {MaxPayload} allowed");
        }

        byte[] payload = new byte[length];
        if (await ReadFullyAsync(stream, payload, cancellationToken).ConfigureAwait(false) < length)
        {
            throw new InvalidDataException("the connection ended inside a frame");
        }

        return ((AgentFrameKind)header[4], payload);
    }

    private static async Task<int> ReadFullyAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
