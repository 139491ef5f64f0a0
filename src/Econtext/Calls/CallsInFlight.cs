namespace Econtext.Calls;

/// <summary>
/// How many calls a context is running (queued, running, or unwinding), so that a context that is
/// exiting can wait for them to finish. One interlocked add per call start and end; the waiter is
/// set up only at exit. The callback given hears each time the last running call ends.
/// </summary>
internal sealed class CallsInFlight(Action? none = null)
{
    private int _count;
    private volatile TaskCompletionSource? _none;

    public int Count => Volatile.Read(ref _count);

    public void Enter() => Interlocked.Increment(ref _count);

    public void Leave()
    {
        if (Interlocked.Decrement(ref _count) == 0)
        {
            _none?.TrySetResult();
            none?.Invoke();
        }
    }

    /// <summary>True once no call is in flight; false if some still are after <paramref name="bound"/>.</summary>
    public bool WaitForNone(TimeSpan bound)
    {
        var none = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _none = none;

        // Set before the count is read: a call that leaves in between either sees the waiter or
        // left before the read, which then sees zero.
        return Count == 0 || none.Task.Wait(bound);
    }
}
