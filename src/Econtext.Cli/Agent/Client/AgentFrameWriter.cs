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

    /// <summary>The same, synchronously: for a <see cref="TextWriter"/> the command writes to.</summary>
    public void Write(AgentFrameKind kind, ReadOnlySpan<byte> payload)
    {
        _gate.Wait();
        try
        {
            Span<byte> header = stackalloc byte[5];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
            header[4] = (byte)kind;
            stream.Write(header);
            stream.Write(payload);
            stream.Flush();
        }
        finally
        {
            _gate.Release();
        }
    }
}
