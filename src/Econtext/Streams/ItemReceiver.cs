using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Econtext.Streams;

/// <summary>
/// The receiving half of an item stream: the receive loop offers each item as it arrives, the
/// consumer takes them at its pace, and every <see cref="CreditWindow.ReturnEvery"/> items taken
/// give credit back (<paramref name="returnCredit"/>, usually <see cref="CreditLedger.Return"/>).
/// The buffer holds one window: an item beyond it is a sender that ignored its credit.
/// </summary>
/// <typeparam name="T">An item as the consumer takes it (decoded, or the raw message to decode later).</typeparam>
internal sealed class ItemReceiver<T>(Action<int> returnCredit)
{
    private readonly Channel<T> _items = Channel.CreateBounded<T>(new BoundedChannelOptions(CreditWindow.Size) { SingleReader = true, SingleWriter = true });
    private int _taken;

    /// <summary>Ends when the stream has ended and every item was taken; faults with the stream's error.</summary>
    public Task Completion => _items.Reader.Completion;

    /// <summary>On the receive loop: false when the window is full, that is when the sender went past its credit.</summary>
    public bool Offer(T item) => _items.Writer.TryWrite(item);

    /// <summary>The stream ended: the consumer takes what is buffered, then sees the end (or <paramref name="error"/>).</summary>
    public void End(Exception? error = null) => _items.Writer.TryComplete(error);

    public bool TryTake([MaybeNullWhen(false)] out T item)
    {
        if (!_items.Reader.TryRead(out item))
        {
            return false;
        }

        if (++_taken == CreditWindow.ReturnEvery)
        {
            _taken = 0;
            returnCredit(CreditWindow.ReturnEvery);
        }

        return true;
    }

    public ValueTask<bool> WaitToTakeAsync(CancellationToken cancellationToken = default) => _items.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Every item until the end; throws the stream's error, if it ended with one, after the items before it.</summary>
    public async IAsyncEnumerable<T> TakeAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await WaitToTakeAsync(cancellationToken).ConfigureAwait(false))
        {
            while (TryTake(out T? item))
            {
                yield return item;
            }
        }
    }

    /// <summary>Nobody will take the rest: ends the stream and hands what is buffered to <paramref name="release"/>, returning no credit.</summary>
    public void Discard(Action<T> release)
    {
        End();
        while (_items.Reader.TryRead(out T? item))
        {
            release(item);
        }
    }
}
