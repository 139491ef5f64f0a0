using Econtext.Routing;
using Econtext.Wire;

namespace Econtext.Streams;

/// <summary>
/// The credit windows of the item streams this router sends, a table per <see cref="StreamKind"/>,
/// and CREDIT both ways. A CREDIT names its stream by the handle its receiver knows it by; which
/// table that handle belongs to follows from where the CREDIT comes from and its reply-to (a context
/// marks the credit for a file with its own handle there), never from the number alone. Registered
/// in the switch here, with the policy that guards each kind.
/// </summary>
internal sealed class CreditLedger
{
    private readonly Outbox _outbox;
    private readonly LockedMap<ItemSender>[] _windows = [new(), new(), new()];

    public CreditLedger(Outbox outbox, MessageSwitch table)
    {
        _outbox = outbox;

        // A caller took N items of a streamed result or of a ChannelWriter parameter.
        table.Add(Handles.Credit, Policy.FromAncestor, (_, message) => Grant(StreamKind.Results, message));

        // A callee read N items of one of our ChannelReader arguments (the handle is our call's).
        table.Add(Handles.Credit, Policy.FromBelow, (_, message) => Grant(StreamKind.Arguments, message), header => header.ReplyTo == Handles.None);

        // A context wrote out N chunks of a file the master sends it (its own handle, marked in reply-to).
        table.Add(Handles.Credit, Policy.FromBelow, (_, message) => Grant(StreamKind.File, message), header => header.ReplyTo != Handles.None);
    }

    /// <summary>A window for the stream of <paramref name="kind"/> that <paramref name="peer"/> receives on <paramref name="handle"/>.</summary>
    public ItemSender Open(StreamKind kind, int peer, int handle)
    {
        var sender = new ItemSender(this, _outbox, kind, peer, handle);
        _windows[(int)kind][MapKey.Of(peer, handle)] = sender;
        return sender;
    }

    /// <summary>Forgets <paramref name="sender"/>'s window, and only its own: a later stream on the same key keeps its window.</summary>
    internal void Close(ItemSender sender) => _windows[(int)sender.Kind].TryRemove(MapKey.Of(sender.Peer, sender.Handle), sender);

    /// <summary>The receiving side took <paramref name="count"/> items of the stream <paramref name="peer"/> sends it on <paramref name="handle"/>.</summary>
    public bool Return(StreamKind kind, int peer, int handle, int count)
    {
        var frame = new FrameBuilder(8);
        frame.WriteInt32(handle);
        frame.WriteInt32(count);
        return _outbox.TrySend(peer, Handles.Credit, kind == StreamKind.File ? handle : Handles.None, MessageFlags.None, frame);
    }

    /// <summary>CREDIT: the stream's handle, then how many items were taken; applied only to a window of the CREDIT's own sender.</summary>
    /// <exception cref="ProtocolViolationException">The payload is shorter than its 8 bytes.</exception>
    internal void Grant(StreamKind kind, Message message)
    {
        var reader = new PayloadReader(message.Span);
        int handle = reader.ReadInt32();
        int count = reader.ReadInt32();
        if (count > 0 && count <= CreditWindow.Size && _windows[(int)kind].TryGetValue(MapKey.Of(message.Header.Src, handle), out ItemSender? sender))
        {
            sender.Grant(count);
        }
    }
}
