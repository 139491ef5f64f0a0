namespace Econtext;

/// <summary>One kept context of a <see cref="ContextPool"/>: its leases and its use, under the pool's lock.</summary>
internal sealed class PooledEntry(ContextPool pool, string key, Context context, int reconnects)
{
    public string Key { get; } = key;

    public Context Context { get; } = context;

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public DateTimeOffset LastUsed { get; set; } = DateTimeOffset.UtcNow;

    public int Leases { get; set; }

    public long Uses { get; set; }

    public int Reconnects { get; } = reconnects;

    /// <summary>Set once the entry must not be lent again; it is shut down when its last lease returns.</summary>
    public bool Discarded { get; set; }

    public void Release() => pool.Return(this);

    public Task Discard() => pool.Discard(this);

    public PooledContextInfo Describe() =>
        new(Context, Key, Context.Name, Context.RemoteProcessId, Started, LastUsed, Leases, Uses, Reconnects);
}
