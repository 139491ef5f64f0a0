using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Econtext.Streams;
using Econtext.Wire;

namespace Econtext.Calls;

/// <summary>
/// In the callee: the ChannelReader a remote method reads the caller's items from. Items arrive as
/// STREAM_ITEM messages into an <see cref="ItemReceiver{T}"/>, are decoded as the method reads them,
/// and give credit back to the caller as they are taken, so it never sends more than the window ahead.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal sealed class InboundReader<TItem>(ItemReceiver<Message> raw) : ChannelReader<TItem>
{
    public override Task Completion => raw.Completion;

    public override bool TryRead([MaybeNullWhen(false)] out TItem item)
    {
        if (!raw.TryTake(out Message? message))
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

        return true;
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => raw.WaitToTakeAsync(cancellationToken);
}
