using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Econtext.Wire;

namespace Econtext.Calls;

/// <summary>
/// In the callee: the ChannelReader a remote method reads the caller's items from. Items arrive as
/// STREAM_ITEM messages, are decoded as the method reads them, and every few reads return credit to
/// the caller, so it never sends more than the window ahead.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal sealed class InboundReader<TItem>(Channel<Message> raw, Action<int> credit) : ChannelReader<TItem>
{
    private int _taken;

    public override Task Completion => raw.Reader.Completion;

    public override bool TryRead([MaybeNullWhen(false)] out TItem item)
    {
        if (!raw.Reader.TryRead(out Message? message))
        {
            item = default;
            return false;
        }

        try
        {
            item = (TItem)CallCodec.ReadValue(message.Payload, message.Header.Length, typeof(TItem))!;
        }
        finally
        {
            message.Release();
        }

        if (++_taken == CreditWindow.ReturnEvery)
        {
            credit(_taken);
            _taken = 0;
        }

        return true;
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => raw.Reader.WaitToReadAsync(cancellationToken);
}
