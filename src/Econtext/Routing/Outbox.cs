using Econtext.Wire;
using Microsoft.Extensions.Logging;

namespace Econtext.Routing;

/// <summary>
/// The one way a router sends a message of its own: routed towards its destination, completed with
/// this context as source and authority, counted, and refused before it is queued when its payload
/// is over the maximum message size (the receiver would break the stream over it). Forwarded frames
/// and refusals, sent by <see cref="MessageSwitch"/>, were checked on their way in.
/// </summary>
internal sealed class Outbox(RouteTable routes, int maxMessageSize, RouterStatistics statistics, ILogger log, Func<int, string> nameOf)
{
    private readonly RouteTable _routes = routes;
    private readonly int _maxMessageSize = maxMessageSize;
    private readonly RouterStatistics _statistics = statistics;
    private readonly ILogger _log = log;
    private readonly Func<int, string> _nameOf = nameOf;

    /// <summary>Completes <paramref name="frame"/> from this context and sends it towards <paramref name="dst"/>.</summary>
    /// <exception cref="StreamBrokenException">No route, or the stream on the way is broken.</exception>
    /// <exception cref="MessageTooLargeException">The payload is over <see cref="RouterOptions.MaxMessageSize"/>: the receiver would break the stream over it.</exception>
    public void Send(int dst, int handle, int replyTo, MessageFlags flags, FrameBuilder frame)
    {
        if (frame.PayloadLength > _maxMessageSize)
        {
            throw DisposeAnd(frame, new MessageTooLargeException($"a {Handles.Name(handle)} message to {_nameOf(dst)}", frame.PayloadLength, _maxMessageSize));
        }

        ContextStream stream = _routes.RouteTo(dst) ?? throw DisposeAnd(frame, new StreamBrokenException($"no route to context {dst}"));
        _statistics.CountSent(MessageHeader.Size + frame.PayloadLength);
        frame.Complete(dst, _routes.SelfId, _routes.SelfId, handle, replyTo, flags);
        stream.Send(frame);
    }

    /// <summary><see cref="Send"/> for replies and notices whose loss is already being reported elsewhere.</summary>
    public bool TrySend(int dst, int handle, int replyTo, MessageFlags flags, FrameBuilder frame)
    {
        try
        {
            Send(dst, handle, replyTo, flags, frame);
            return true;
        }
        catch (StreamBrokenException ex)
        {
            _log.LogDebug("dropped {Handle} to {Dst}: {Reason}", Handles.Name(handle), dst, ex.Reason);
            return false;
        }
        catch (MessageTooLargeException ex)
        {
            _log.LogWarning("not sent: {Reason}", ex.Message);
            return false;
        }
    }

    /// <summary>CANCEL for the request on <paramref name="handle"/> (a call of ours, or a file we asked for), to <paramref name="dst"/>.</summary>
    public bool TrySendCancel(int dst, int handle)
    {
        var frame = new FrameBuilder(8);
        frame.WriteInt32(handle);
        return TrySend(dst, Handles.Cancel, Handles.None, MessageFlags.None, frame);
    }

    /// <summary>In a child: a notice for the master (stdio, logs); dropped in the master, which has no parent.</summary>
    public void SendUpward(int handle, FrameBuilder frame)
    {
        if (_routes.Parent is null)
        {
            frame.Dispose();
            return;
        }

        try
        {
            SendUpward(0, handle, frame);
        }
        catch (StreamBrokenException)
        {
            // The parent is gone, and this context exits with it.
        }
        catch (MessageTooLargeException)
        {
            // Output and logs are cut to fit before they get here; a notice that still does not fit is lost, not the stream.
        }
    }

    /// <summary>In a child: a message of its own straight onto the parent's stream, past routing.</summary>
    /// <exception cref="StreamBrokenException">The parent's stream is broken.</exception>
    /// <exception cref="MessageTooLargeException">The payload is over <see cref="RouterOptions.MaxMessageSize"/>.</exception>
    public void SendUpward(int dst, int handle, FrameBuilder frame)
    {
        if (frame.PayloadLength > _maxMessageSize)
        {
            throw DisposeAnd(frame, new MessageTooLargeException($"a {Handles.Name(handle)} message to the parent", frame.PayloadLength, _maxMessageSize));
        }

        frame.Complete(dst, _routes.SelfId, _routes.SelfId, handle, Handles.None, MessageFlags.None);
        _routes.Parent!.Send(frame);
    }

    private static Exception DisposeAnd(FrameBuilder frame, Exception error)
    {
        frame.Dispose();
        return error;
    }
}
