using Econtext.Routing;
using Econtext.Wire;

namespace Econtext.Streams;

/// <summary>
/// The sending half of an item stream: its credit window, open in the <see cref="CreditLedger"/>
/// until disposed, and its messages, addressed as its <see cref="StreamKind"/> says and sent
/// through the one send path.
/// </summary>
internal sealed class ItemSender : IDisposable
{
    private readonly CreditLedger _ledger;
    private readonly Outbox _outbox;
    private readonly SemaphoreSlim _window = new(CreditWindow.Size, CreditWindow.Size);

    // Where its messages go: a channel argument's items to STREAM_ITEM with the call's handle in
    // reply-to; results and file chunks as MORE replies on the receiver's handle.
    private readonly int _to;
    private readonly int _replyTo;

    internal ItemSender(CreditLedger ledger, Outbox outbox, StreamKind kind, int peer, int handle)
    {
        _ledger = ledger;
        _outbox = outbox;
        Kind = kind;
        Peer = peer;
        Handle = handle;
        (_to, _replyTo) = kind == StreamKind.Arguments ? (Handles.StreamItem, handle) : (handle, Handles.None);
    }

    public StreamKind Kind { get; }

    /// <summary>The context that receives the items.</summary>
    public int Peer { get; }

    /// <summary>The handle the receiver knows the stream by (its call's or its request's).</summary>
    public int Handle { get; }

    /// <summary>Waits until the receiver has room for one more item.</summary>
    public Task WaitForCreditAsync(CancellationToken cancellationToken) => _window.WaitAsync(cancellationToken);

    /// <summary>
    /// Sends every item of <paramref name="items"/>, encoded by <paramref name="encode"/>, never more
    /// than the window ahead of the receiver. False when the stream to the receiver broke (its loss
    /// is reported there); the end of the stream is the caller's to send.
    /// </summary>
    /// <exception cref="MessageTooLargeException">An item is over the maximum message size; <paramref name="what"/> names it.</exception>
    public async Task<bool> SendAllAsync<T>(IAsyncEnumerable<T> items, Func<T, FrameBuilder> encode, string what, CancellationToken cancellationToken)
    {
        await foreach (T item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await _window.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                Send(MessageFlags.More, encode(item));
            }
            catch (StreamBrokenException)
            {
                return false;
            }
            catch (MessageTooLargeException ex)
            {
                throw new MessageTooLargeException(what, ex.Size, ex.MaxMessageSize);
            }
        }

        return true;
    }

    /// <summary>One message of the stream (MORE for an item); see <see cref="Outbox.Send"/> for what it throws.</summary>
    public void Send(MessageFlags flags, FrameBuilder frame) => _outbox.Send(Peer, _to, _replyTo, flags, frame);

    /// <summary><see cref="Send"/> for a message whose loss is reported elsewhere (the stream broke) or logged (too large).</summary>
    public bool TrySend(MessageFlags flags, FrameBuilder frame) => _outbox.TrySend(Peer, _to, _replyTo, flags, frame);

    /// <summary>CREDIT arrived: <paramref name="count"/> more items may go.</summary>
    internal void Grant(int count)
    {
        try
        {
            _window.Release(count);
        }
        catch (Exception ex) when (ex is SemaphoreFullException or ObjectDisposedException)
        {
            // More than the window (a confused peer) or a stream that just ended: nothing to give.
        }
    }

    /// <summary>Closes the window; CREDIT for it is ignored from now on.</summary>
    public void Dispose()
    {
        _ledger.Close(this);
        _window.Dispose();
    }
}
