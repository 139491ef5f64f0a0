namespace Econtext.Routing;

/// <summary>
/// Bytes of frames queued for one <see cref="ContextStream"/> and not yet written, and who waits
/// for them to fall: what the peer, by not reading, makes this process hold. Counting costs one
/// interlocked add per frame; the lock is taken only while someone waits.
/// </summary>
internal sealed class SendBacklog
{
    private readonly List<(long Below, TaskCompletionSource<bool> Room)> _waiters = [];
    private long _bytes;
    private int _waiterCount;
    private bool _closed;

    public long Bytes => Interlocked.Read(ref _bytes);

    public void Add(int bytes) => Interlocked.Add(ref _bytes, bytes);

    /// <summary>Queued bytes were written or thrown away.</summary>
    public void Remove(int bytes)
    {
        long left = Interlocked.Add(ref _bytes, -bytes);
        if (Volatile.Read(ref _waiterCount) > 0)
        {
            Wake(left);
        }
    }

    /// <summary>
    /// Completes with true once fewer than <paramref name="bytes"/> are queued (at once if so now),
    /// or with false once the backlog is closed (the stream broke).
    /// </summary>
    public Task<bool> WhenBelowAsync(long bytes)
    {
        lock (_waiters)
        {
            if (_closed)
            {
                return Task.FromResult(false);
            }

            // Counted before the bytes are read again: a writer takes bytes off, then reads the
            // count (both full fences), so either it sees this waiter or this sees its bytes gone.
            Interlocked.Increment(ref _waiterCount);
            if (Interlocked.Read(ref _bytes) < bytes)
            {
                Interlocked.Decrement(ref _waiterCount);
                return Task.FromResult(true);
            }

            var room = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((bytes, room));
            return room.Task;
        }
    }

    /// <summary>The stream broke: every waiter, now and later, gets false.</summary>
    public void Close()
    {
        lock (_waiters)
        {
            _closed = true;
        }

        Wake(0);
    }

    private void Wake(long left)
    {
        lock (_waiters)
        {
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_closed || left < _waiters[i].Below)
                {
                    _waiters[i].Room.TrySetResult(!_closed);
                    _waiters.RemoveAt(i);
                    Interlocked.Decrement(ref _waiterCount);
                }
            }
        }
    }
}
