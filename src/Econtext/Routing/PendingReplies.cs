using Econtext.Wire;

namespace Econtext.Routing;

/// <summary>
/// What this router waits for: one <see cref="IPendingReply"/> per dynamic handle it gave out, and
/// the numbering of those handles. A reply is accepted only from the context its request went to.
/// </summary>
internal sealed class PendingReplies
{
    private readonly LockedMap<IPendingReply> _pending = new();
    private int _nextHandle = Handles.FirstDynamic - 1;

    /// <summary>A handle nobody waits on yet (the numbering wraps past int.MaxValue back to <see cref="Handles.FirstDynamic"/>).</summary>
    public int Allocate()
    {
        while (true)
        {
            int handle = Interlocked.Increment(ref _nextHandle);
            if (handle < Handles.FirstDynamic)
            {
                Interlocked.CompareExchange(ref _nextHandle, Handles.FirstDynamic, handle);
                continue;
            }

            if (!_pending.ContainsKey(handle))
            {
                return handle;
            }
        }
    }

    /// <summary>Waits on a fresh handle for <paramref name="pending"/>.</summary>
    public int Register(IPendingReply pending)
    {
        int handle = Allocate();
        _pending[handle] = pending;
        return handle;
    }

    /// <summary>Waits on <paramref name="handle"/> (one this router allocated) for <paramref name="pending"/>.</summary>
    public void Register(int handle, IPendingReply pending) => _pending[handle] = pending;

    /// <summary>Stops waiting on <paramref name="handle"/>; false if nothing waited (the reply came, or another path took it).</summary>
    public bool TryRemove(int handle) => _pending.TryRemove(handle, out _);

    /// <summary>
    /// A reply from <c>src</c> to one of our handles: the waiter gets it if the request went to that
    /// very context. A streamed item (MORE) keeps the handle open; anything else is the last message.
    /// </summary>
    public void Deliver(Message reply)
    {
        MessageHeader header = reply.Header;
        if (_pending.TryGetValue(header.Handle, out IPendingReply? pending) && pending.TargetId == header.Src
            && ((header.Flags & MessageFlags.More) != 0 || _pending.TryRemove(header.Handle, out _)))
        {
            pending.Complete(reply);
        }
    }

    /// <summary>Fails everything waiting on <paramref name="targetId"/>, which is gone.</summary>
    public void FailAll(int targetId, Func<Exception> error)
    {
        foreach (long handle in _pending.SnapshotKeys())
        {
            if (_pending.TryGetValue(handle, out IPendingReply? pending) && pending.TargetId == targetId && _pending.TryRemove(handle, pending))
            {
                pending.Fail(error());
            }
        }
    }
}
