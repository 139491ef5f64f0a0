using Econtext.Pooling;

namespace Econtext;

/// <summary>
/// Contexts kept warm under keys a program chooses, so that the next use of the same connection starts nothing:
/// the key says everything that shapes how a context is reached (host, user, transport options, the chain it
/// runs through), and <see cref="AcquireAsync"/> lends the context kept under it, or starts one with the
/// given function. A kept context that went away (its process killed, its host rebooted or cut off) is
/// noticed before it is lent (its pipe ended, or it did not answer <see cref="Context.PingAsync"/> within
/// <see cref="ContextPoolOptions.HealthCheckTimeout"/>) and started again once; the lease says so.
/// An unused context is shut down after <see cref="ContextPoolOptions.IdleTimeout"/>; disposing the pool
/// shuts down every context it keeps.
/// </summary>
/// <remarks>
/// The pool owns no <see cref="Router"/>: contexts may come from any. A context reached through another
/// pooled one (sudo through ssh) is best kept under its own key, with the lease on the one it runs through held
/// until it disconnects, so that the outer one is not shut down for idleness while the inner one is in use:
/// <c>inner.Disconnected.Register(outerLease.Dispose)</c>.
/// </remarks>
public sealed class ContextPool : IAsyncDisposable
{
    private readonly ContextPoolOptions _options;
    private readonly Dictionary<string, PooledEntry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SemaphoreSlim> _connecting = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _lost = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _reconnects = new(StringComparer.Ordinal);
    private readonly HashSet<Task> _closing = [];
    private readonly Lock _lock = new();
    private readonly Timer _idleTimer;
    private bool _disposed;
    private TimeSpan _idleTimeout;

    /// <summary>Creates an empty pool.</summary>
    public ContextPool(ContextPoolOptions? options = null)
    {
        _options = options ?? new ContextPoolOptions();
        // Past int.MaxValue ms the idle timer and the health check's deadline cannot be set: the failure would
        // come from every returned lease, or every reuse, instead of from here.
        CheckIdleTimeout(_options.IdleTimeout, nameof(options));
        if (_options.HealthCheckTimeout < TimeSpan.Zero || _options.HealthCheckTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.HealthCheckTimeout, "HealthCheckTimeout must be between zero (no check) and 24 days");
        }

        _idleTimeout = _options.IdleTimeout;
        _idleTimer = new Timer(static s => ((ContextPool)s!).ShutDownIdle(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Raised (on a pool thread) when the pool shuts a context down because it went unused for the idle time.</summary>
    public event Action<PooledContextInfo>? IdleContextClosed;

    /// <summary>
    /// How long an unused context is kept (<see cref="ContextPoolOptions.IdleTimeout"/> at first); a change applies
    /// to every context from its last use, so a longer time keeps the ones already idle longer.
    /// </summary>
    public TimeSpan IdleTimeout
    {
        get => _idleTimeout;
        set
        {
            CheckIdleTimeout(value, nameof(value));
            lock (_lock)
            {
                _idleTimeout = value;
                ArmIdleTimer();
            }
        }
    }

    /// <summary>How many contexts the pool keeps now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>When the last lease was returned or the last context started; for an owner that ends itself when the pool has been idle.</summary>
    public DateTimeOffset LastActivity { get; private set; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// Lends the context kept under <paramref name="key"/>, after checking it is still there, or starts one with
    /// <paramref name="connect"/> and keeps it. Acquires of one key at once share one start. A failure of
    /// <paramref name="connect"/> is thrown as it is and keeps nothing.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The pool was disposed.</exception>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    public async Task<ContextLease> AcquireAsync(string key, Func<CancellationToken, Task<Context>> connect, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(connect);
        SemaphoreSlim gate;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_connecting.TryGetValue(key, out gate!))
            {
                gate = new SemaphoreSlim(1, 1);
                _connecting[key] = gate;
            }
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            PooledEntry? kept;
            lock (_lock)
            {
                _entries.TryGetValue(key, out kept);
            }

            string? reconnectReason = null;
            if (kept is not null)
            {
                string? gone = await CheckAsync(kept, cancellationToken).ConfigureAwait(false);
                if (gone is null && Lend(kept) is ContextLease lease)
                {
                    return lease;
                }

                reconnectReason = gone ?? kept.Context.DisconnectReason ?? "the context disconnected";
                Drop(kept);
            }

            lock (_lock)
            {
                if (_lost.Remove(key, out string? lost))
                {
                    reconnectReason ??= lost;
                }
            }

            Context context = await connect(cancellationToken).ConfigureAwait(false);
            var entry = new PooledEntry(this, key, context, reconnectReason is null ? 0 : Bump(key));
            bool disposed;
            lock (_lock)
            {
                disposed = _disposed;
                if (!disposed)
                {
                    _entries[key] = entry;
                    entry.Leases = 1;
                    entry.Uses = 1;
                    LastActivity = DateTimeOffset.UtcNow;
                }
            }

            if (disposed)
            {
                await ShutDownQuietlyAsync(context).ConfigureAwait(false);
                throw new ObjectDisposedException(nameof(ContextPool));
            }

            context.Disconnected.Register(() => Forget(entry));
            return new ContextLease(entry, started: true, reconnectReason);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>What the pool keeps now, one line per context.</summary>
    public IReadOnlyList<PooledContextInfo> Snapshot()
    {
        lock (_lock)
        {
            return [.. _entries.Values.OrderBy(e => e.Started).Select(e => e.Describe())];
        }
    }

    /// <summary>Shuts down the context kept under <paramref name="key"/>, if any; returns whether there was one.</summary>
    public async Task<bool> EvictAsync(string key)
    {
        PooledEntry? entry;
        lock (_lock)
        {
            if (!_entries.Remove(key, out entry))
            {
                return false;
            }
        }

        await ShutDownQuietlyAsync(entry.Context).ConfigureAwait(false);
        return true;
    }

    /// <summary>Shuts down every kept context (leases held or not) and refuses further acquires.</summary>
    public async ValueTask DisposeAsync()
    {
        PooledEntry[] all;
        Task[] closing;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            all = [.. _entries.Values];
            _entries.Clear();
            closing = [.. _closing];
        }

        await _idleTimer.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(all.Select(e => ShutDownQuietlyAsync(e.Context)).Concat(closing)).ConfigureAwait(false);
    }

    internal Task Discard(PooledEntry entry)
    {
        lock (_lock)
        {
            entry.Discarded = true;
            if (_entries.TryGetValue(entry.Key, out PooledEntry? current) && current == entry)
            {
                _entries.Remove(entry.Key);
            }

            entry.Leases--;
            entry.LastUsed = DateTimeOffset.UtcNow;
            LastActivity = entry.LastUsed;
            if (entry.Leases > 0)
            {
                return Task.CompletedTask;
            }
        }

        return ShutDownQuietlyAsync(entry.Context);
    }

    internal void Return(PooledEntry entry)
    {
        bool shutDown;
        lock (_lock)
        {
            entry.Leases--;
            shutDown = entry.Discarded && entry.Leases == 0;
            entry.LastUsed = DateTimeOffset.UtcNow;
            LastActivity = entry.LastUsed;
            if (entry.Leases == 0)
            {
                ArmIdleTimer();
            }
        }

        if (shutDown)
        {
            CloseInBackground(entry.Context);
        }
    }

    private static void CheckIdleTimeout(TimeSpan value, string parameterName)
    {
        if (value != Timeout.InfiniteTimeSpan && (value < TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue))
        {
            throw new ArgumentOutOfRangeException(parameterName, value, "IdleTimeout must be between zero and 24 days, or Timeout.InfiniteTimeSpan (zero and infinite keep contexts until they disconnect)");
        }
    }

    private static async Task ShutDownQuietlyAsync(Context context)
    {
        try
        {
            await context.ShutdownAsync().ConfigureAwait(false);
        }
        catch (EcontextException)
        {
            // Already gone: nothing is left to shut down.
        }
    }

    /// <summary>Null when the context may be lent again, else why not.</summary>
    [System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Calls)]
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Calls)]
    private async Task<string?> CheckAsync(PooledEntry entry, CancellationToken cancellationToken)
    {
        if (entry.Context.Disconnected.IsCancellationRequested)
        {
            return entry.Context.DisconnectReason ?? "the context disconnected";
        }

        if (_options.HealthCheckTimeout <= TimeSpan.Zero)
        {
            return null;
        }

        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(_options.HealthCheckTimeout);
        try
        {
            await entry.Context.PingAsync(bound.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"it did not answer a health check within {_options.HealthCheckTimeout.TotalSeconds:0.#} s";
        }
        catch (EcontextException ex)
        {
            return entry.Context.DisconnectReason ?? ex.Message;
        }
    }

    private ContextLease? Lend(PooledEntry entry)
    {
        lock (_lock)
        {
            if (_disposed || !_entries.TryGetValue(entry.Key, out PooledEntry? current) || current != entry || entry.Context.Disconnected.IsCancellationRequested)
            {
                return null;
            }

            entry.Leases++;
            entry.Uses++;
            LastActivity = DateTimeOffset.UtcNow;
            return new ContextLease(entry, started: false, reconnectReason: null);
        }
    }

    /// <summary>A kept context found gone or not answering: no longer kept, and shut down without waiting for it.</summary>
    private void Drop(PooledEntry entry)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(entry.Key, out PooledEntry? current) && current == entry)
            {
                _entries.Remove(entry.Key);
            }

            _lost.Remove(entry.Key);
        }

        CloseInBackground(entry.Context);
    }

    /// <summary>
    /// Shuts a context down without making the caller wait: one that does not answer is killed only after up to
    /// three of the router's grace periods, which an acquire starting its replacement must not wait out.
    /// <see cref="DisposeAsync"/> waits for it.
    /// </summary>
    private void CloseInBackground(Context context)
    {
        Task closing = ShutDownQuietlyAsync(context);
        lock (_lock)
        {
            _closing.Add(closing);
        }

        _ = closing.ContinueWith(
            t =>
            {
                lock (_lock)
                {
                    _closing.Remove(t);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private int Bump(string key)
    {
        lock (_lock)
        {
            _reconnects.TryGetValue(key, out int n);
            _reconnects[key] = ++n;
            return n;
        }
    }

    /// <summary>A kept context disconnected: the next acquire of its key says it was started again, and why.</summary>
    private void Forget(PooledEntry entry)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(entry.Key, out PooledEntry? current) && current == entry)
            {
                _entries.Remove(entry.Key);
                _lost[entry.Key] = entry.Context.DisconnectReason ?? "the context disconnected";
            }
        }
    }

    private void ArmIdleTimer()
    {
        if (_disposed || _idleTimeout <= TimeSpan.Zero || _idleTimeout == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        DateTimeOffset? next = null;
        foreach (PooledEntry e in _entries.Values)
        {
            if (e.Leases == 0 && (next is null || e.LastUsed + _idleTimeout < next))
            {
                next = e.LastUsed + _idleTimeout;
            }
        }

        if (next is DateTimeOffset due)
        {
            TimeSpan wait = due - DateTimeOffset.UtcNow;
            _idleTimer.Change(wait < TimeSpan.Zero ? TimeSpan.Zero : wait + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        }
    }

    private void ShutDownIdle()
    {
        List<PooledEntry> idle = [];
        lock (_lock)
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            foreach (PooledEntry e in _entries.Values)
            {
                if (e.Leases == 0 && now - e.LastUsed >= _idleTimeout)
                {
                    idle.Add(e);
                }
            }

            foreach (PooledEntry e in idle)
            {
                _entries.Remove(e.Key);
            }

            ArmIdleTimer();
        }

        foreach (PooledEntry e in idle)
        {
            try
            {
                IdleContextClosed?.Invoke(e.Describe());
            }
            catch (Exception ex)
            {
                // A handler's failure must not take the process down from a timer thread, nor keep the context.
                System.Diagnostics.Trace.WriteLine("ContextPool.IdleContextClosed handler threw: " + ex);
            }

            CloseInBackground(e.Context);
        }
    }
}
