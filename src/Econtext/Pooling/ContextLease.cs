namespace Econtext;

/// <summary>
/// One use of a pooled context, from <see cref="ContextPool.AcquireAsync"/> until it is disposed. While any
/// lease on a context is held, the pool does not shut it down for idleness. Disposing returns it; it does not
/// shut the context down.
/// </summary>
public sealed class ContextLease : IDisposable
{
    private readonly PooledEntry _entry;
    private int _released;

    internal ContextLease(PooledEntry entry, bool started, string? reconnectReason)
    {
        _entry = entry;
        Started = started;
        ReconnectReason = reconnectReason;
    }

    /// <summary>The context lent.</summary>
    public Context Context => _entry.Context;

    /// <summary>The key it is kept under.</summary>
    public string Key => _entry.Key;

    /// <summary>True when this acquire started the context (no live one was kept under the key).</summary>
    public bool Started { get; }

    /// <summary>
    /// Why the context kept under the key could not be reused and was started again (its disconnect reason, or
    /// the failed health check), or null when nothing was started again.
    /// </summary>
    public string? ReconnectReason { get; }

    /// <summary>True when a context that had been kept was found gone and this lease's context replaced it.</summary>
    public bool Reconnected => ReconnectReason is not null;

    /// <summary>Returns the context to the pool (once; later calls do nothing).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _entry.Release();
        }
    }

    /// <summary>
    /// Returns the context and has the pool shut it down instead of keeping it: at once when no other lease
    /// holds it (the task ends when it has exited), else when the last one is returned. For a use that was
    /// interrupted (cancelled, timed out), whose remote work must be seen to end before the caller says it has:
    /// a context's shutdown ends the calls running in it. No new lease is given on it from now on.
    /// </summary>
    public Task DiscardAsync() =>
        Interlocked.Exchange(ref _released, 1) == 0 ? _entry.Discard() : Task.CompletedTask;
}
