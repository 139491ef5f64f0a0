using System.Text;
using Econtext.Wire;
using Microsoft.Extensions.Logging;

namespace Econtext.Routing;

/// <summary>A handler of one reserved handle: the stream the message came on, and the message.</summary>
internal delegate void MessageHandler(ContextStream from, Message message);

/// <summary>
/// Every message a router receives goes through here, in the order a message travels:
/// <list type="number">
/// <item>source verification: <c>src</c> and <c>auth</c> must live behind the stream it came on;</item>
/// <item>not for us: forwarded, up or down only (<see cref="Forward"/>);</item>
/// <item>a dynamic handle: a reply, for whoever waits on it (<see cref="PendingReplies"/>);</item>
/// <item>a reserved handle: the first handler registered for it whose <see cref="Policy"/> admits the
/// message; none admits it: refused.</item>
/// </list>
/// A message a handler cannot read is charged to its sender (<see cref="Charge"/>). Services register
/// their handles with the policy that guards them, as in Mitogen's <c>add_handler(fn, handle, policy)</c>.
/// </summary>
internal sealed class MessageSwitch
{
    private const int ReservedHandles = 64;

    private readonly Registration[]?[] _handlers = new Registration[ReservedHandles][];
    private readonly Registration[]?[] _taps = new Registration[ReservedHandles][];
    private readonly RouteTable _routes;
    private readonly PendingReplies _replies;
    private readonly RouterStatistics _statistics;
    private readonly ILogger _log;
    private readonly string _selfName;
    private readonly Func<int, string> _nameOf;

    public MessageSwitch(RouteTable routes, PendingReplies replies, RouterStatistics statistics, ILogger log, string selfName, Func<int, string> nameOf)
    {
        _routes = routes;
        _replies = replies;
        _statistics = statistics;
        _log = log;
        _selfName = selfName;
        _nameOf = nameOf;
        Add(Handles.AddRoute, Policy.FromAncestor, OnAddRoute);
        Add(Handles.Evict, Policy.FromAncestor, OnEvict);
    }

    /// <summary>
    /// Handles <paramref name="handle"/> with <paramref name="handler"/> when <paramref name="policy"/>
    /// admits the message (and <paramref name="when"/>, if given, holds for its header). Registration
    /// ends before the first stream starts.
    /// </summary>
    public void Add(int handle, Policy policy, MessageHandler handler, Func<MessageHeader, bool>? when = null) => Append(_handlers, handle, policy, handler, when);

    /// <summary>Shows <paramref name="tap"/> each message of <paramref name="handle"/> this router forwards, when <paramref name="policy"/> admits it.</summary>
    public void Tap(int handle, Policy policy, MessageHandler tap) => Append(_taps, handle, policy, tap, null);

    public void Dispatch(ContextStream from, Message message)
    {
        MessageHeader header = message.Header;
        if (!_routes.SourceIsBehind(from, header.Src) || !_routes.SourceIsBehind(from, header.Auth))
        {
            Refuse(from, message, $"source {header.Src} (authority {header.Auth}) does not live behind {from.Name}");
            return;
        }

        try
        {
            if (header.Dst != _routes.SelfId)
            {
                Forward(from, message);
            }
            else if (header.Handle >= Handles.FirstDynamic)
            {
                _replies.Deliver(message);
            }
            else if (Find(_handlers, from, header) is { } handler)
            {
                handler(from, message);
            }
            else
            {
                Refuse(from, message, "not accepted here (a command needs an ancestor's authority)");
            }
        }
        catch (Exception ex) when (ex is ProtocolViolationException || from != _routes.Parent)
        {
            // From below, whatever a payload makes a handler throw is the sender's fault (a parser's
            // JsonException as much as a short read); from the parent it is a bug of ours, and breaks.
            Charge(from, message, ex is ProtocolViolationException ? ex.Message : $"{message} could not be read ({ex.Message})");
        }
    }

    /// <summary>Drops a message, counts and logs it, and if it wanted an answer, says why in a DEAD reply (while its sender reads).</summary>
    public void Refuse(ContextStream from, Message message, string why)
    {
        _statistics.CountDropped();
        _log.LogWarning("dropped {Message} from {Stream}: {Why}", message.ToString(), from.Name, why);
        MessageHeader header = message.Header;
        if (header.ReplyTo != Handles.None && header.Handle != Handles.Ready && from.HasRoomForAnswers)
        {
            // A refusal is a courtesy to a sender that broke the rules: it gets one only while it
            // reads, so a flood of refused frames from a child that never reads costs a bounded queue
            // (the one limit every answer to what a peer sends at will keeps to).
            var frame = new FrameBuilder(64);
            frame.WriteBytes(Encoding.UTF8.GetBytes("refused by " + _selfName + ": " + why));
            frame.Complete(header.Src, _routes.SelfId, _routes.SelfId, header.ReplyTo, Handles.None, MessageFlags.Dead);
            TrySend(from, frame);
        }
    }

    /// <summary>
    /// A frame was malformed. Its sender goes, and only its sender: the stream it came on when the
    /// sender is at the other end (or is the parent), else the sender's own parent is told to cut it
    /// off (EVICT), and the intermediates that relayed it stay connected.
    /// </summary>
    private void Charge(ContextStream from, Message message, string what)
    {
        int offender = message.Header.Src;
        if (from == _routes.Parent || offender == from.RemoteId)
        {
            from.Break($"protocol violation from {from.Name}: {what} in {message}");
            return;
        }

        string reason = $"protocol violation from {_nameOf(offender)} (relayed by {from.Name}): {what} in {message}";
        _statistics.CountDropped();
        _log.LogWarning("{Reason}; evicting {Offender}", reason, _nameOf(offender));
        SendEvict(from, offender, reason);
    }

    /// <summary>
    /// Up or down, never across: contexts send only towards their ancestors (replies, output,
    /// requests), so a frame from below that would go down another branch is an attack on a sibling
    /// subtree. In the master every forward is such a frame.
    /// </summary>
    private void Forward(ContextStream from, Message message)
    {
        MessageHeader header = message.Header;
        ContextStream? next = _routes.RouteTo(header.Dst);
        if (next is null || next == from)
        {
            Refuse(from, message, $"no route to context {header.Dst}");
            return;
        }

        if (from != _routes.Parent && next != _routes.Parent)
        {
            Refuse(from, message, $"{Handles.Name(header.Handle)} to context {header.Dst}, which is not an ancestor of {_nameOf(header.Src)}");
            return;
        }

        if (Find(_taps, from, header) is { } tap)
        {
            tap(from, message);
        }

        var frame = new FrameBuilder(header.Length);
        frame.WriteBytes(message.Span);
        frame.Complete(header.Dst, header.Src, header.Auth, header.Handle, header.ReplyTo, header.Flags);
        TrySend(next, frame);
    }

    /// <summary>ADD_ROUTE from an ancestor: <c>id</c> will live behind the stream that leads to <c>via</c>.</summary>
    private void OnAddRoute(ContextStream from, Message message)
    {
        (int id, int via) = ControlPayloads.ReadAddRoute(message.Span);
        if (!_routes.TryGetBelow(via, out ContextStream? stream) || stream == from)
        {
            Refuse(from, message, $"ADD_ROUTE for {id} via {via}, which is not below this context");
            return;
        }

        _routes.Add(id, stream);
    }

    /// <summary>EVICT from an ancestor: break the stream to the offender if it is ours, else pass it one hop down.</summary>
    private void OnEvict(ContextStream from, Message message)
    {
        (int offender, string reason) = Eviction.Read(message.Span);
        if (offender == _routes.SelfId || !_routes.TryGetBelow(offender, out ContextStream? stream) || stream == from)
        {
            Refuse(from, message, $"EVICT for context {offender}, which does not live below this context");
            return;
        }

        if (stream.RemoteId == offender)
        {
            stream.Break(reason);
            return;
        }

        SendEvict(stream, offender, reason);
    }

    private void SendEvict(ContextStream toward, int offender, string reason)
    {
        FrameBuilder frame = Eviction.Frame(offender, reason);
        frame.Complete(toward.RemoteId, _routes.SelfId, _routes.SelfId, Handles.Evict, Handles.None, MessageFlags.None);
        TrySend(toward, frame);
    }

    private static void TrySend(ContextStream stream, FrameBuilder frame)
    {
        try
        {
            stream.Send(frame);
        }
        catch (StreamBrokenException)
        {
            // That stream's own break reports what is lost.
        }
    }

    private MessageHandler? Find(Registration[]?[] table, ContextStream from, MessageHeader header)
    {
        if ((uint)header.Handle >= ReservedHandles || table[header.Handle] is not { } entries)
        {
            return null;
        }

        foreach (Registration entry in entries)
        {
            if (_routes.Admits(entry.Policy, from, header) && (entry.When is null || entry.When(header)))
            {
                return entry.Handler;
            }
        }

        return null;
    }

    private static void Append(Registration[]?[] table, int handle, Policy policy, MessageHandler handler, Func<MessageHeader, bool>? when)
    {
        if ((uint)handle >= ReservedHandles)
        {
            throw new ArgumentOutOfRangeException(nameof(handle), handle, "only reserved handles have handlers; replies go to PendingReplies");
        }

        table[handle] = [.. table[handle] ?? [], new Registration(policy, handler, when)];
    }

    private sealed record Registration(Policy Policy, MessageHandler Handler, Func<MessageHeader, bool>? When);
}
