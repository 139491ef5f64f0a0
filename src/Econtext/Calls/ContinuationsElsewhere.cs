namespace Econtext.Calls;

/// <summary>
/// While in place, awaits on a task completed by this thread resume on the thread pool instead of
/// running here: the runtime never inlines an await continuation under a SynchronizationContext
/// of a derived type. A <see cref="PendingCall{T}"/> settles inside this unless the thread settling
/// it has just left a receive loop (then the caller's code may run on it at once), which keeps the
/// order of completions (a call is failed before its context's Broken resumes anyone) that queueing
/// the completion itself to the pool would lose.
/// </summary>
internal sealed class ContinuationsElsewhere : SynchronizationContext
{
    private static readonly ContinuationsElsewhere s_instance = new();

    private ContinuationsElsewhere()
    {
    }

    /// <summary>Puts the context in place until the returned scope is disposed.</summary>
    public static Scope Enter()
    {
        SynchronizationContext? previous = Current;
        SetSynchronizationContext(s_instance);
        return new Scope(previous);
    }

    /// <summary>Posted work (none of ours posts; a caller that captured this context would) goes to the pool.</summary>
    public override void Post(SendOrPostCallback d, object? state) =>
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.d(s.state), (d, state), preferLocal: false);

    public override SynchronizationContext CreateCopy() => this;

    internal readonly struct Scope(SynchronizationContext? previous) : IDisposable
    {
        public void Dispose() => SetSynchronizationContext(previous);
    }
}
