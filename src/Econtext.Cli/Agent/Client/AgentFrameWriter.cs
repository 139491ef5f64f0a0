namespace Econtext.Cli.Agent.Client;

/// <summary>One connection's send side: frames from several tasks, one at a time.</summary>
internal sealed class AgentFrameWriter(Stream stream)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task WriteAsync(AgentFrameKind kind, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await AgentFrames.WriteAsync(stream, kind, payload, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The same, synchronously: for a <see cref="TextWriter"/> the command writes to. Header and payload
    /// go in one write, so a block of output costs one send, not two.
    /// </summary>
    public void Write(AgentFrameKind kind, ReadOnlySpan<byte> payload)
    {
        int length = AgentFrames.HeaderSize + payload.Length;
        byte[] frame = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
        _gate.Wait();
        try
        {
            AgentFrames.WriteHeader(frame, kind, payload.Length);
            payload.CopyTo(frame.AsSpan(AgentFrames.HeaderSize));
            stream.Write(frame, 0, length);
            stream.Flush();
        }
        finally
        {
            _gate.Release();
            System.Buffers.ArrayPool<byte>.Shared.Return(frame);
        }
    }
}
