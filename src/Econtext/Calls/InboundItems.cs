using System.Threading.Channels;
using Econtext.Streams;
using Econtext.Wire;

namespace Econtext.Calls;

/// <summary>
/// In the caller: items a remote method writes to its ChannelWriter parameter, on their way into the
/// caller's own writer. The receive thread only buffers (never more than the credit window); a pump
/// writes into the caller's channel at its pace and returns credit as it goes.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal abstract class InboundItems
{
    public abstract void OnItem(Message message);

    /// <summary>Writes what is buffered, then completes the caller's writer (with the call's error, if any).</summary>
    public abstract Task FinishAsync(Exception? error);

    /// <summary>
    /// The caller gave up (cancelled): stop writing into its channel, which it may no longer read.
    /// Without this a pump blocked on a full channel would hold the call open forever.
    /// </summary>
    public abstract void Abandon();

    public static InboundItems Create(Type itemType, object writer, Action<int> credit) =>
        (InboundItems)Activator.CreateInstance(typeof(InboundItems<>).MakeGenericType(itemType), writer, credit)!;
}

[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
internal sealed class InboundItems<TItem> : InboundItems
{
    private readonly ChannelWriter<TItem> _target;
    private readonly ItemReceiver<TItem> _buffer;
    private readonly CancellationTokenSource _abandon = new();
    private readonly Task _pump;

    public InboundItems(ChannelWriter<TItem> target, Action<int> credit)
    {
        _target = target;
        _buffer = new ItemReceiver<TItem>(credit);
        _pump = PumpAsync();
    }

    public override void OnItem(Message message)
    {
        var item = (TItem)CallCodec.ReadValue(message.Payload, message.Header.Length, typeof(TItem))!;
        if (!_buffer.Offer(item))
        {
            _buffer.End(new EcontextException("the callee sent more channel items than it had credit for"));
        }
    }

    public override async Task FinishAsync(Exception? error)
    {
        _buffer.End();
        try
        {
            await _pump.ConfigureAwait(false);
        }
        finally
        {
            _target.TryComplete(error);
        }
    }

    public override void Abandon()
    {
        try
        {
            _abandon.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task PumpAsync()
    {
        await foreach (TItem item in _buffer.TakeAllAsync(_abandon.Token).ConfigureAwait(false))
        {
            await _target.WriteAsync(item, _abandon.Token).ConfigureAwait(false);
        }
    }
}
