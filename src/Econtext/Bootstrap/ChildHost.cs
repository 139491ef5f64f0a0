using Econtext.Calls;
using Econtext.Files;
using Econtext.Routing;
using Econtext.Streams;
using Econtext.Wire;
using Microsoft.Extensions.Logging;

namespace Econtext.Bootstrap;

/// <summary>
/// The child's role: obeys its ancestors' commands (CALL, CANCEL, STREAM_ITEM through the
/// <see cref="Dispatcher"/>, SHUTDOWN), answers its parent's heartbeats, asks the master for shared
/// files, and runs the exit sequence (<see cref="ChildMain"/> drives it).
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Child)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Child)]
internal sealed class ChildHost
{
    private readonly Router router;
    private readonly ContextStream _parent;
    private readonly Dispatcher _dispatcher;
    private readonly IdleTrim _idleTrim;
    private readonly TaskCompletionSource<string> _childExit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ChildHost(Router router, ContextStream parent)
    {
        this.router = router;
        _parent = parent;
        // The dispatcher calls the trim and the trim asks the dispatcher: built in that order.
        IdleTrim? idleTrim = null;
        _dispatcher = new Dispatcher(router, router.Log, () => idleTrim!.CallsEnded());
        _idleTrim = idleTrim = new IdleTrim(() => _dispatcher.InFlight > 0, IdleTrim.DefaultDelay);
        MessageSwitch table = router.Switch;
        table.Add(Handles.Call, Policy.FromAncestor, (_, message) => _dispatcher.OnCall(message));
        table.Add(Handles.Cancel, Policy.FromAncestor, (_, message) => _dispatcher.OnCancel(message));
        table.Add(Handles.StreamItem, Policy.FromAncestor, (_, message) => _dispatcher.OnStreamItem(message));
        table.Add(Handles.Shutdown, Policy.FromAncestor, (_, _) => _childExit.TrySetResult("SHUTDOWN from the parent"));
        table.Add(Handles.Heartbeat, Policy.FromParent, (from, _) => Heartbeat.Answer(from, router.Id));
    }

    /// <summary>
    /// In a child: says READY, then starts receiving. READY goes first so that the parent prepares
    /// its first call while this child finishes starting (threads cost milliseconds each here);
    /// what the parent sends meanwhile waits in the pipe.
    /// </summary>
    public void StartChild(int processId)
    {
        var frame = new FrameBuilder(8);
        frame.WriteInt32(processId);
        router.Outbox.SendUpward(_parent.RemoteId, Handles.Ready, frame);
        _parent.Start(router.Switch.Dispatch, (_, reason) => _childExit.TrySetResult("the parent is gone: " + reason));
    }

    /// <summary>In a child: blocks until SHUTDOWN, SIGTERM or the parent's end of the pipe closing.</summary>
    public string WaitForChildExit()
    {
        // Broken as well: a write that failed before the receive loop started has no one to tell.
        Task<string> first = Task.WhenAny(_childExit.Task, _parent.Broken).GetAwaiter().GetResult();
        return first == _childExit.Task ? first.Result : "the parent is gone: " + first.Result;
    }

    public void RequestChildExit(string reason) => _childExit.TrySetResult(reason);

    /// <summary>
    /// In a child that is exiting: cancels every running call's token (their channels end with it) and
    /// waits up to <paramref name="bound"/> for the calls to return, so their finally blocks run
    /// (a copy deletes its temporary file) before the process is gone.
    /// </summary>
    public void UnwindCalls(TimeSpan bound)
    {
        _dispatcher.BeginExit();
        try
        {
            router.CancelShuttingDown();
        }
        catch (AggregateException ex)
        {
            // A callback some method registered on its token threw; the others ran regardless.
            router.Log.LogWarning(ex, "a cancellation callback failed while {Context} was exiting", router.Name);
        }

        if (!_dispatcher.Unwind(bound, out int stillRunning))
        {
            router.Log.LogWarning("{Count} call(s) in {Context} did not return within {Seconds} s of their cancellation; exiting without them", stillRunning, router.Name, bound.TotalSeconds);
        }
    }

    /// <summary>In an intermediate that is exiting: SHUTDOWN to every context it started, then wait (bounded) for them to go.</summary>
    public void ShutDownChildren()
    {
        Task[] waits = router.StartedContexts().Where(c => c.DisconnectReason is null).Select(c => router.ShutdownAsync(c, CancellationToken.None)).ToArray();
        try
        {
            Task.WaitAll(waits, router.Options.ShutdownGracePeriod);
        }
        catch (AggregateException)
        {
            // Each failure is already a disconnect reported upward.
        }
    }

    /// <summary>In a child, at exit: the calls are unwound; close the pipe to the parent once queued output is out.</summary>
    public void StopChild()
    {
        _idleTrim.Dispose();
        router.CancelShuttingDown();
        _parent.CloseOutput();
    }

    /// <summary>In a child: asks the master for a file it shared with this context, and waits on a dynamic handle for its chunks.</summary>
    public (int Handle, PendingFile Pending) RequestMasterFile(string path, int chunkSize)
    {
        // The handle is known once the request is registered, before any chunk can be taken.
        int handle = Handles.None;
        var pending = new PendingFile(path, count => router.Credits.Return(StreamKind.File, 0, handle, count));
        var frame = new FrameBuilder(path.Length * 3 + 16);
        frame.WriteShortString(path);
        frame.WriteInt32(chunkSize);
        try
        {
            handle = router.Request(0, Handles.FileGet, pending, frame);
            return (handle, pending);
        }
        catch (StreamBrokenException ex)
        {
            throw new ContextDisconnectedException("master", ex.Reason);
        }
    }

    /// <summary>In a child: the fetch of a master file was abandoned before its end; the master stops sending it.</summary>
    public void AbandonMasterFile(int handle)
    {
        router.Replies.TryRemove(handle);
        router.Outbox.TrySendCancel(0, handle);
    }
}
