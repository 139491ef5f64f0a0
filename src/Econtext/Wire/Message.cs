namespace Econtext.Wire;

/// <summary>One received frame: its header and its payload bytes.</summary>
internal sealed class Message(MessageHeader header, byte[] payload)
{
    public MessageHeader Header { get; } = header;

    public byte[] Payload { get; } = payload;

    public ReadOnlySpan<byte> Span => Payload.AsSpan(0, Header.Length);

    public override string ToString() =>
        $"{Handles.Name(Header.Handle)} {Header.Src}->{Header.Dst} auth {Header.Auth} reply-to {Header.ReplyTo} flags {Header.Flags} {Header.Length} bytes";
}
