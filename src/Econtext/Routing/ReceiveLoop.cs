using Econtext.Wire;

namespace Econtext.Routing;

/// <summary>
/// The receive loop of one <see cref="ContextStream"/>: reads frame after frame and hands each to
/// the stream's handler, on one thread at a time, though not always the same one. A handler with
/// work to run (a call, or the code awaiting a reply) lends the loop through the message it got
/// (<see cref="Message.Loop"/>, <see cref="TryLend"/>) and runs the work on the thread that read it.
/// </summary>
/// <remarks>
/// The loop is lent, not handed over: when the work is done within a tick of
/// <see cref="LoopWatchdog"/> (1-2 ms), which nearly all of it is, the same thread takes the loop
/// back and no other thread wakes; work that runs longer, or is about to wait for something only
/// the loop can deliver (<see cref="HandOverIfLent"/>), has the loop handed to a waiting follower.
/// Handing every call to the thread pool put a sleeping thread's wake-up on every round trip, and on
/// this kind of machine such a wake-up is most of a round trip's cost (docs/performance.md, Round
/// trips). Large messages are lent for too: one-way 1 MiB calls over ssh measured the same lent, on
/// the pool, and with a 64 KiB limit.
/// </remarks>
internal sealed class ReceiveLoop(ContextStream stream) : IReceiveLoop
{
    /// <summary>Threads that run lent work at once; beyond this, handlers queue to the pool.</summary>
    private const int MaxLent = 4;

    /// <summary>Threads that may wait to take the loop over.</summary>
    private const int MaxFollowers = 2;

    // _state while a handler runs: the lend's number times four plus one of these (see WithState).
    private const long Held = 0;
    private const long Lent = 1;
    private const long HandedOver = 2;

    /// <summary>Ticks without a lend after which the watchdog stops watching this loop (see <see cref="LoopWatchdog"/>).</summary>
    private const int IdleTicks = 10;

    /// <summary>The loop the current thread runs, if any.</summary>
    [ThreadStatic]
    private static ReceiveLoop? t_receiving;

    /// <summary>The loop the current thread has lent itself to run work, and the lend's <see cref="_state"/> value.</summary>
    [ThreadStatic]
    private static ReceiveLoop? t_lentFrom;

    [ThreadStatic]
    private static long t_lend;

    // Followers: threads waiting to take the loop over; _takeOver tells one of them to.
    private readonly object _followerLock = new();
    private int _followersWaiting;
    private bool _takeOver;
    private int _lentCount;

    // The lend: written by the loop's holder, taken back or handed over by compare-and-swap. The
    // lend's number in it keeps a thread whose lend was handed over from taking a later one back.
    private long _state;
    private long _watchSeen;
    private int _idleTicks;

    /// <summary>Whether <see cref="LoopWatchdog"/> has this loop in its list; its lock guards writes.</summary>
    internal bool Watched;

    /// <summary>True when the current thread runs some stream's receive loop (and must not block).</summary>
    public static bool OnReceiveThread => t_receiving is not null;

    /// <summary>
    /// Called before waiting for something only a receive loop can deliver (an assembly from the
    /// parent, room in a full pipe): if the current thread has lent a loop, a follower takes it now
    /// rather than at the watchdog's next tick. Deep in work that did not get the message (an
    /// assembly resolve, a send), so it goes by the current thread.
    /// </summary>
    public static void HandOverIfLent()
    {
        if (t_lentFrom is { } loop)
        {
            loop.TryHandOver(t_lend);
        }
    }

    /// <summary>Whether a handler has the loop lent right now (and the stream still works).</summary>
    internal bool IsLent => IsLentValue(Volatile.Read(ref _state)) && !stream.IsBroken;

    public void Start() => NewThread().UnsafeStart();

    /// <summary>The stream broke: a waiting follower wakes, sees it, and ends.</summary>
    public void Stop()
    {
        lock (_followerLock)
        {
            Monitor.PulseAll(_followerLock);
        }
    }

    /// <inheritdoc/>
    public bool TryLend()
    {
        if (t_receiving != this || stream.IsBroken)
        {
            return false;
        }

        // Counted before the loop can change hands: the next reader may lend again at once.
        if (Interlocked.Increment(ref _lentCount) > MaxLent)
        {
            Interlocked.Decrement(ref _lentCount);
            return false;
        }

        // A full fence (Exchange): the watchdog, forgetting an idle loop, clears Watched and then
        // reads _state; this writes _state and then reads Watched, so one of the two sees the other.
        long lend = WithState(Volatile.Read(ref _state) + 4, Lent);
        Interlocked.Exchange(ref _state, lend);
        t_receiving = null;
        t_lentFrom = this;
        t_lend = lend;
        if (!LoopWatchdog.Watch(this))
        {
            // Nobody would notice a long lend: hand the loop over now.
            TryHandOver(lend);
        }

        return true;
    }

    /// <summary>The watchdog's tick: hands over a lend it already saw at the previous tick. False once the loop may be forgotten.</summary>
    internal bool Tick()
    {
        if (stream.IsBroken)
        {
            return false;
        }

        long state = Volatile.Read(ref _state);
        bool lent = IsLentValue(state);
        if (lent && state == _watchSeen)
        {
            TryHandOver(state);
        }

        _watchSeen = state;
        _idleTicks = lent ? 0 : _idleTicks + 1;
        return _idleTicks < IdleTicks;
    }

    /// <summary>A <see cref="_state"/> value with the same lend's number and another state.</summary>
    private static long WithState(long state, long what) => (state & ~3L) | what;

    private static bool IsLentValue(long state) => (state & 3) == Lent;

    private void TryHandOver(long lend)
    {
        if (Interlocked.CompareExchange(ref _state, WithState(lend, HandedOver), lend) != lend)
        {
            return;
        }

        lock (_followerLock)
        {
            if (_followersWaiting > 0)
            {
                _followersWaiting--;
                _takeOver = true;
                Monitor.Pulse(_followerLock);
            }
            else if (!TryStartThread())
            {
                // No follower and no thread to be had: the takeover waits for the lent thread
                // itself, which takes it in WaitToTakeOver once its work is done.
                _takeOver = true;
            }
        }
    }

    private Thread NewThread() => new(Run) { IsBackground = true, Name = "econtext receive " + stream.Name };

    private bool TryStartThread()
    {
        try
        {
            NewThread().UnsafeStart();
            return true;
        }
        catch (OutOfMemoryException)
        {
            // No thread to be had (a ulimit): the caller copes (see TryHandOver).
            return false;
        }
    }

    private void Run()
    {
        t_receiving = this;
        try
        {
            while (true)
            {
                bool more = stream.ReceiveOne();
                if (t_receiving != this)
                {
                    // The handler lent the loop and has run its work here. Unless it was handed over
                    // meanwhile, nobody has read since: take it back and go on.
                    long lend = t_lend;
                    t_lentFrom = null;
                    Interlocked.Decrement(ref _lentCount);
                    if (Interlocked.CompareExchange(ref _state, WithState(lend, Held), lend) != lend
                        && (!more || !WaitToTakeOver()))
                    {
                        return;
                    }

                    t_receiving = this;
                    if (!more)
                    {
                        return;
                    }
                }
                else if (!more)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            stream.Break($"reading from {stream.Name} failed: {ex.Message}");
        }
        catch (Exception ex)
        {
            stream.Break($"internal error while receiving from {stream.Name}: {ex}");
        }
        finally
        {
            t_receiving = null;
            t_lentFrom = null;
        }
    }

    /// <summary>
    /// As a follower, waits until a lent loop is handed over, then runs it. False when enough
    /// threads already wait (this one ends) or the stream broke.
    /// </summary>
    /// <remarks>
    /// Two may wait, not one: when calls that outlast a tick follow each other, the next handover
    /// often comes while the thread whose call just ended is still on its way back here (with the
    /// loop handed over at every call, one follower started a thread every fifty or so round trips).
    /// </remarks>
    private bool WaitToTakeOver()
    {
        lock (_followerLock)
        {
            if (_followersWaiting >= MaxFollowers || stream.IsBroken)
            {
                return false;
            }

            _followersWaiting++;
            while (!_takeOver)
            {
                if (stream.IsBroken)
                {
                    _followersWaiting--;
                    return false;
                }

                Monitor.Wait(_followerLock);
            }

            _takeOver = false;
            return true;
        }
    }
}
