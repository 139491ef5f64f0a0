namespace Econtext.Wire;

/// <summary>
/// One received frame: its header and its payload bytes. Large payloads live in pooled buffers: the
/// receive loop returns the buffer once the handler is done, unless the handler called
/// <see cref="Retain"/>, which makes it responsible for calling <see cref="Release"/> later.
/// </summary>
internal sealed class Message(MessageHeader header, byte[] payload, bool pooled, IReceiveLoop? loop = null)
{
    private byte[]? _payload = payload;
    private bool _retained;

    public MessageHeader Header { get; } = header;

    /// <summary>The payload buffer; may be longer than <see cref="MessageHeader.Length"/>.</summary>
    public byte[] Payload => _payload ?? throw new ObjectDisposedException(nameof(Message), "the message's payload was released");

    public ReadOnlySpan<byte> Span => Payload.AsSpan(0, Header.Length);

    /// <summary>
    /// The receive loop that read this message, which its handler may lend to run the message's
    /// work right here (<see cref="IReceiveLoop.TryLend"/>); null for a message no loop read.
    /// </summary>
    public IReceiveLoop? Loop { get; } = loop;

    /// <summary>Keeps the payload alive after the handler returns, until <see cref="Release"/>.</summary>
    public void Retain() => _retained = true;

    public void Release()
    {
        byte[]? payload = Interlocked.Exchange(ref _payload, null);
        if (pooled && payload is not null)
        {
            LargeBuffers.Return(payload);
        }
    }

    /// <summary>Called by the receive loop once the handler has returned.</summary>
    public void ReleaseUnlessRetained()
    {
        if (!_retained)
        {
            Release();
        }
    }

    public override string ToString() =>
        $"{Handles.Name(Header.Handle)} {Header.Src}->{Header.Dst} auth {Header.Auth} reply-to {Header.ReplyTo} flags {Header.Flags} {Header.Length} bytes";
}
