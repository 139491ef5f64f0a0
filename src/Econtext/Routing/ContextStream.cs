using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Econtext.Native;
using Econtext.Wire;

namespace Econtext.Routing;

/// <summary>
/// One duplex byte pipe to one directly connected context (or, in a child, to its parent).
/// One receive loop, on one thread at a time; one send path that drains a queue in order, on the
/// sending thread when the pipe is idle (no thread hop on the hot path) and never blocking a receive
/// thread: a receive thread writes only what a non-blocking pipe takes at once and leaves the rest
/// to a pool thread (so two receive loops can never wait on each other's full pipes). One abort path,
/// <see cref="Break"/>, that records the first failure.
/// </summary>
/// <remarks>
/// The receive loop can change threads (leader and followers): a handler that has work to run, a
/// call or the code awaiting a reply, calls <see cref="TryReleaseReceiving"/> and runs the work on
/// the thread that read it. The loop is lent, not handed over: when the work is done within a tick
/// of <see cref="LoopWatchdog"/> (1-2 ms), which nearly all of it is, the same thread takes the
/// loop back and no other thread wakes; work that runs longer, or is about to wait for something
/// only the loop can deliver, has the loop handed to a waiting follower. Handing every call to the
/// thread pool put a sleeping thread's wake-up on every round trip, and on this kind of machine
/// such a wake-up is most of a round trip's cost (docs/performance.md, Round trips).
/// </remarks>
internal sealed class ContextStream
{
    /// <summary>Payloads above this size come from the array pool instead of the GC heap.</summary>
    private const int PoolThreshold = 16 * 1024;

    /// <summary>Threads that run released work at once; beyond this, handlers queue to the pool as before.</summary>
    private const int MaxReleased = 4;

    /// <summary>Threads that may wait to take a stream's receive loop over.</summary>
    private const int MaxFollowers = 2;

    // _loop while a handler runs: the lend's number times four plus one of these (see WithState).
    private const long LoopHeld = 0;
    private const long LoopLent = 1;
    private const long LoopHandedOver = 2;

    /// <summary>Ticks without a lend after which the watchdog stops watching a stream (see <see cref="LoopWatchdog"/>).</summary>
    private const int IdleTicks = 10;

    /// <summary>The stream whose receive loop the current thread runs, if any.</summary>
    [ThreadStatic]
    private static ContextStream? t_receiving;

    /// <summary>The stream whose loop the current thread has lent to run work, and the lend's <see cref="_loop"/> value.</summary>
    [ThreadStatic]
    private static ContextStream? t_lentFrom;

    [ThreadStatic]
    private static long t_lend;

    private readonly Stream _input;
    private readonly Stream _output;
    private readonly int _maxMessageSize;
    private readonly ConcurrentQueue<FrameBuilder> _outbound = new();
    private readonly TaskCompletionSource<string> _broken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly HashSet<int> _idsBehind = [];
    private int _drainRequests;
    private readonly int _outFd = -1;
    private readonly SafeHandle? _outHandle;
    private FrameBuilder? _current;
    private int _currentOffset;
    private string? _brokenReason;

    // Bytes queued and not yet written, and who waits for them to fall (see WhenQueuedBelowAsync).
    private long _queuedBytes;
    private int _roomWaiterCount;
    private readonly List<(long Below, TaskCompletionSource<bool> Room)> _roomWaiters = [];
    private Action<ContextStream, Message>? _onMessage;
    private Action<ContextStream, string>? _onBroken;

    // The receive loop's state, kept here rather than in locals because the loop moves between threads.
    private readonly byte[] _receiveBuffer = new byte[64 * 1024];
    private int _receiveStart;
    private int _receiveEnd;

    // Followers: threads waiting to take the receive loop over; _takeOver tells one of them to.
    private readonly object _followerLock = new();
    private int _followersWaiting;
    private bool _takeOver;
    private int _released;

    // The lend: written by the loop's holder, taken back or handed over by compare-and-swap. The
    // lend's number in it keeps a thread whose lend was handed over from taking a later one back.
    private long _loop;
    private long _watchSeen;
    private int _idleTicks;

    /// <summary>Whether <see cref="LoopWatchdog"/> has this stream in its list; its lock guards writes.</summary>
    internal bool Watched;

    // For Heartbeat: when bytes last arrived, and when the peer last took bytes we were waiting to
    // write (a peer busy reading a large frame of ours is alive though it says nothing).
    private long _lastReceived = Environment.TickCount64;
    private long _lastDrained;
    private bool _sendBlocked;

    public ContextStream(Stream input, Stream output, int remoteId, string name, int maxMessageSize)
    {
        _input = input;
        _output = output;
        RemoteId = remoteId;
        Name = name;
        _maxMessageSize = maxMessageSize;
        _idsBehind.Add(remoteId);
        if (output is FileStream { SafeFileHandle: { IsInvalid: false } handle })
        {
            int fd = (int)handle.DangerousGetHandle();
            int flags = Libc.Fcntl(fd, Libc.FGetFl, 0);
            if (flags >= 0 && Libc.Fcntl(fd, Libc.FSetFl, flags | Libc.ONonblock) == 0)
            {
                _outFd = fd;
                _outHandle = handle;
            }
        }
    }

    /// <summary>Id of the context at the other end of this pipe.</summary>
    public int RemoteId { get; }

    public string Name { get; set; }

    public bool IsBroken => _brokenReason is not null;

    public string? BrokenReason => _brokenReason;

    /// <summary>Bytes of frames queued for this pipe and not yet written: what the peer, by not reading, makes this process hold.</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>
    /// Completes with true once fewer than <paramref name="bytes"/> are queued (at once if so now),
    /// or with false once the stream is broken. For senders that must not queue without bound for a
    /// peer that may never read (replies to requests the peer makes at will).
    /// </summary>
    public Task<bool> WhenQueuedBelowAsync(long bytes)
    {
        lock (_roomWaiters)
        {
            if (_brokenReason is not null)
            {
                return Task.FromResult(false);
            }

            // Counted before the bytes are read again: a writer takes bytes off, then reads the
            // count (both full fences), so either it sees this waiter or this sees its bytes gone.
            Interlocked.Increment(ref _roomWaiterCount);
            if (Interlocked.Read(ref _queuedBytes) < bytes)
            {
                Interlocked.Decrement(ref _roomWaiterCount);
                return Task.FromResult(true);
            }

            var room = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _roomWaiters.Add((bytes, room));
            return room.Task;
        }
    }

    /// <summary>A queued frame was written or thrown away.</summary>
    private void Unqueued(FrameBuilder frame)
    {
        long left = Interlocked.Add(ref _queuedBytes, -frame.Written.Length);
        if (Volatile.Read(ref _roomWaiterCount) > 0)
        {
            WakeRoomWaiters(left);
        }
    }

    private void WakeRoomWaiters(long left)
    {
        lock (_roomWaiters)
        {
            bool broken = _brokenReason is not null;
            for (int i = _roomWaiters.Count - 1; i >= 0; i--)
            {
                if (broken || left < _roomWaiters[i].Below)
                {
                    _roomWaiters[i].Room.TrySetResult(!broken);
                    _roomWaiters.RemoveAt(i);
                    Interlocked.Decrement(ref _roomWaiterCount);
                }
            }
        }
    }
    /// <summary>
    /// <see cref="Environment.TickCount64"/> when the peer last showed it is alive: bytes arrived
    /// from it, or it read bytes of ours that had waited for room in the pipe.
    /// </summary>
    public long LastHeard => Math.Max(Volatile.Read(ref _lastReceived), Volatile.Read(ref _lastDrained));

    /// <summary>Completes with the reason once the stream is broken.</summary>
    public Task<string> Broken => _broken.Task;

    /// <summary>True when the current thread is the receive loop of some stream.</summary>
    public static bool OnReceiveThread => t_receiving is not null;

    /// <summary>
    /// Called by a message handler on a receive loop: the current thread may run the message's work
    /// to its end (user code, blocking waits, more messages needed from the same stream), and a
    /// follower reads meanwhile if the work takes longer than a tick. False when the current thread
    /// is no receive loop, the stream is broken, or <see cref="MaxReleased"/> threads already run
    /// work; the handler then hands the work to the pool, as it must never block a receive loop.
    /// </summary>
    /// <remarks>
    /// Large messages are lent for too: one-way 1 MiB calls over ssh measured the same lent, on the
    /// pool, and with a 64 KiB limit (docs/performance.md, Round trips).
    /// </remarks>
    public static bool TryReleaseReceiving() => t_receiving is { } stream && stream.Release();

    /// <summary>
    /// Called before waiting for something only a receive loop can deliver (an assembly from the
    /// parent, room in a full pipe): if the current thread has lent a loop, a follower takes it now
    /// rather than at the watchdog's next tick.
    /// </summary>
    public static void HandOverIfLent()
    {
        if (t_lentFrom is { } stream)
        {
            stream.TryHandOver(t_lend);
        }
    }

    private bool Release()
    {
        // Counted before the loop can change hands: the next reader may release again at once.
        if (_brokenReason is not null || Interlocked.Increment(ref _released) > MaxReleased)
        {
            Interlocked.Decrement(ref _released);
            return false;
        }

        // A full fence (Exchange): the watchdog, forgetting an idle stream, clears Watched and then
        // reads _loop; this writes _loop and then reads Watched, so one of the two sees the other.
        long lend = WithState(Volatile.Read(ref _loop) + 4, LoopLent);
        Interlocked.Exchange(ref _loop, lend);
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

    /// <summary>Whether a handler has the loop lent right now (and the stream still works).</summary>
    internal bool IsLent => IsLentValue(Volatile.Read(ref _loop)) && _brokenReason is null;

    /// <summary>A <see cref="_loop"/> value with the same lend's number and another state.</summary>
    private static long WithState(long loop, long state) => (loop & ~3L) | state;

    private static bool IsLentValue(long loop) => (loop & 3) == LoopLent;

    /// <summary>The watchdog's tick: hands over a lend it already saw at the previous tick. False once the stream may be forgotten.</summary>
    internal bool Tick()
    {
        if (_brokenReason is not null)
        {
            return false;
        }

        long loop = Volatile.Read(ref _loop);
        bool lent = IsLentValue(loop);
        if (lent && loop == _watchSeen)
        {
            TryHandOver(loop);
        }

        _watchSeen = loop;
        _idleTicks = lent ? 0 : _idleTicks + 1;
        return _idleTicks < IdleTicks;
    }

    private void TryHandOver(long lend)
    {
        if (Interlocked.CompareExchange(ref _loop, WithState(lend, LoopHandedOver), lend) != lend)
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
            else if (!TryStartReceiveThread())
            {
                // No follower and no thread to be had: the takeover waits for the lent thread
                // itself, which takes it in WaitToTakeOver once its work is done.
                _takeOver = true;
            }
        }
    }

    /// <summary>Whether <paramref name="id"/> lives at or behind the other end of this stream.</summary>
    public bool Owns(int id)
    {
        lock (_idsBehind)
        {
            return _idsBehind.Contains(id);
        }
    }

    public void Start(Action<ContextStream, Message> onMessage, Action<ContextStream, string> onBroken)
    {
        _onMessage = onMessage;
        _onBroken = onBroken;
        NewReceiveThread().UnsafeStart();
    }

    private Thread NewReceiveThread() => new(ReceiveLoop) { IsBackground = true, Name = "econtext receive " + Name };

    private bool TryStartReceiveThread()
    {
        try
        {
            NewReceiveThread().UnsafeStart();
            return true;
        }
        catch (OutOfMemoryException)
        {
            // No thread to be had (a ulimit): the caller copes (see TryHandOver).
            return false;
        }
    }

    /// <summary>Queues a complete frame; takes ownership of <paramref name="frame"/>.</summary>
    /// <exception cref="StreamBrokenException">The stream is broken; the frame was not sent.</exception>
    public void Send(FrameBuilder frame)
    {
        if (_brokenReason is { } reason)
        {
            frame.Dispose();
            throw new StreamBrokenException(reason);
        }

        Interlocked.Add(ref _queuedBytes, frame.Written.Length);
        _outbound.Enqueue(frame);
        Drain(mayBlock: t_receiving is null);
    }

    /// <summary>Stops the stream for good. The first reason wins; later calls do nothing.</summary>
    public void Break(string reason)
    {
        if (Interlocked.CompareExchange(ref _brokenReason, reason, null) is not null)
        {
            return;
        }

        TryDispose(_output);
        TryDispose(_input);
        lock (_followerLock)
        {
            // A waiting follower wakes, sees the stream broken, and ends.
            Monitor.PulseAll(_followerLock);
        }

        while (_outbound.TryDequeue(out FrameBuilder? frame))
        {
            Unqueued(frame);
            frame.Dispose();
        }

        WakeRoomWaiters(0);

        // The owner forgets the context and fails its calls before anyone waiting on Broken resumes.
        _onBroken?.Invoke(this, reason);
        _broken.TrySetResult(reason);
    }

    /// <summary>Closes our writing end so the peer sees EOF, without breaking the receive side.</summary>
    public void CloseOutput()
    {
        Drain(mayBlock: true);
        TryDispose(_output);
    }

    /// <summary>
    /// Writes queued frames in order; one drainer at a time. On a pipe we own the descriptor of, it
    /// is non-blocking: a receive thread writes what fits and leaves the rest to a pool thread, so it
    /// forwards and replies without a thread hop yet never waits on a full pipe (two receive loops
    /// waiting on each other's full pipes would deadlock).
    /// </summary>
    /// <remarks>
    /// Every sender counts a request; only the sender that took the count from zero drains, and it
    /// keeps draining until it has accounted for every request made meanwhile. A frame therefore
    /// always has a drainer: the one who queued it, or the one still running when it was queued.
    /// (An earlier flag-and-recheck version left one reply in the queue with nobody draining,
    /// once in a benchmark run; every step here is one interlocked operation.)
    /// </remarks>
    private void Drain(bool mayBlock)
    {
        if (Interlocked.Increment(ref _drainRequests) == 1)
        {
            DrainOwned(mayBlock);
        }
    }

    /// <summary>Runs with the drain ownership: until no request is left, or hands it to a pool thread.</summary>
    private void DrainOwned(bool mayBlock)
    {
        while (true)
        {
            int seen = Volatile.Read(ref _drainRequests);
            bool handedOff = false;
            try
            {
                handedOff = !WriteQueued(mayBlock);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                Break($"writing to {Name} failed: {ex.Message}");
            }
            catch (Exception ex)
            {
                // The ownership must still be accounted for below, or no frame would ever be written
                // again; a stream in an unknown state is broken.
                Break($"internal error while writing to {Name}: {ex}");
            }

            if (handedOff)
            {
                // Still the owner: the pool thread carries on where this one stopped.
                ThreadPool.UnsafeQueueUserWorkItem(static s => s.DrainOwned(mayBlock: true), this, preferLocal: false);
                return;
            }

            if (Interlocked.Add(ref _drainRequests, -seen) == 0)
            {
                return;
            }
        }
    }

    /// <summary>Returns false when the pipe is full and blocking is not allowed.</summary>
    private unsafe bool WriteQueued(bool mayBlock)
    {
        if (_outFd < 0 && !mayBlock)
        {
            return _outbound.IsEmpty;
        }

        while (true)
        {
            if (_current is null)
            {
                if (!_outbound.TryDequeue(out _current))
                {
                    if (_outFd < 0)
                    {
                        _output.Flush();
                    }

                    return true;
                }

                _currentOffset = 0;
            }

            if (_brokenReason is not null)
            {
                Unqueued(_current);
                _current.Dispose();
                _current = null;
                continue;
            }

            ReadOnlyMemory<byte> bytes = _current.Written;
            if (_outFd < 0)
            {
                _output.Write(bytes.Span);
                _currentOffset = bytes.Length;
            }
            else
            {
                // Hold the handle so a concurrent Break cannot close the descriptor (and let its
                // number be reused) in the middle of a write.
                bool added = false;
                _outHandle!.DangerousAddRef(ref added);
                try
                {
                fixed (byte* start = bytes.Span)
                {
                    while (_currentOffset < bytes.Length)
                    {
                        nint n = Libc.Write(_outFd, start + _currentOffset, (nuint)(bytes.Length - _currentOffset));
                        if (n > 0)
                        {
                            _currentOffset += (int)n;
                            if (_sendBlocked)
                            {
                                _sendBlocked = false;
                                Volatile.Write(ref _lastDrained, Environment.TickCount64);
                            }

                            continue;
                        }

                        int errno = Marshal.GetLastPInvokeError();
                        if (n < 0 && errno == Libc.Eintr)
                        {
                            continue;
                        }

                        if (n < 0 && errno == Libc.Eagain)
                        {
                            _sendBlocked = true;
                            if (!mayBlock)
                            {
                                return false;
                            }

                            if (_brokenReason is not null)
                            {
                                break;
                            }

                            // A loop this thread lent must not wait on the pipe with it.
                            HandOverIfLent();
                            var poll = new PollFd { Fd = _outFd, Events = Libc.PollOut };
                            _ = Libc.Poll(&poll, 1, 1000);
                            continue;
                        }

                        throw new IOException($"write failed: {Marshal.GetPInvokeErrorMessage(errno)}");
                    }
                }
                }
                finally
                {
                    if (added)
                    {
                        _outHandle.DangerousRelease();
                    }
                }
            }

            Unqueued(_current);
            _current.Dispose();
            _current = null;
        }
    }

    private void ReceiveLoop()
    {
        t_receiving = this;
        try
        {
            while (true)
            {
                bool more = ReceiveOne();
                if (t_receiving != this)
                {
                    // The handler lent the loop and has run its work here. Unless it was handed over
                    // meanwhile, nobody has read since: take it back and go on.
                    long lend = t_lend;
                    t_lentFrom = null;
                    Interlocked.Decrement(ref _released);
                    if (Interlocked.CompareExchange(ref _loop, WithState(lend, LoopHeld), lend) != lend
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
            Break($"reading from {Name} failed: {ex.Message}");
        }
        catch (Exception ex)
        {
            Break($"internal error while receiving from {Name}: {ex}");
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
            if (_followersWaiting >= MaxFollowers || _brokenReason is not null)
            {
                return false;
            }

            _followersWaiting++;
            while (!_takeOver)
            {
                if (_brokenReason is not null)
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

    /// <summary>
    /// Reads one frame and hands it to the handler; false once the stream is broken. Nothing of the
    /// loop's state is touched after the handler runs: it may have lent the loop, and the lend may
    /// have been handed over to another thread.
    /// </summary>
    private bool ReceiveOne()
    {
        byte[] buffer = _receiveBuffer;
        while (_receiveEnd - _receiveStart < MessageHeader.Size)
        {
            if (!Fill(buffer, ref _receiveStart, ref _receiveEnd))
            {
                Break(_receiveEnd == _receiveStart ? "the stream closed (EOF)" : $"the stream closed (EOF) inside a frame header ({_receiveEnd - _receiveStart} of {MessageHeader.Size} bytes)");
                return false;
            }
        }

        if (!MessageHeader.TryRead(buffer.AsSpan(_receiveStart, MessageHeader.Size), _maxMessageSize, out MessageHeader header, out string? error))
        {
            Break("protocol violation from " + Name + ": " + error);
            return false;
        }

        _receiveStart += MessageHeader.Size;
        bool pooled = header.Length > PoolThreshold;
        byte[] payload = header.Length == 0 ? [] : pooled ? ArrayPool<byte>.Shared.Rent(header.Length) : GC.AllocateUninitializedArray<byte>(header.Length);
        int have = Math.Min(_receiveEnd - _receiveStart, header.Length);
        buffer.AsSpan(_receiveStart, have).CopyTo(payload);
        _receiveStart += have;
        while (have < header.Length)
        {
            int n = _input.Read(payload, have, header.Length - have);
            if (n <= 0)
            {
                if (pooled)
                {
                    ArrayPool<byte>.Shared.Return(payload);
                }

                Break($"the stream closed (EOF) inside a {header.Length}-byte frame after {have} bytes");
                return false;
            }

            have += n;
            Volatile.Write(ref _lastReceived, Environment.TickCount64);
        }

        if (_receiveStart == _receiveEnd)
        {
            _receiveStart = _receiveEnd = 0;
        }

        var message = new Message(header, payload, pooled);
        try
        {
            _onMessage!(this, message);
        }
        finally
        {
            message.ReleaseUnlessRetained();
        }

        return _brokenReason is null;
    }

    private bool Fill(byte[] buffer, ref int start, ref int end)
    {
        if (start > 0 && buffer.Length - end < MessageHeader.Size)
        {
            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
            end -= start;
            start = 0;
        }

        int n = _input.Read(buffer, end, buffer.Length - end);
        if (n <= 0)
        {
            return false;
        }

        end += n;
        Volatile.Write(ref _lastReceived, Environment.TickCount64);
        return true;
    }

    private static void TryDispose(Stream stream)
    {
        try
        {
            stream.Dispose();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    public int[] IdsBehind()
    {
        lock (_idsBehind)
        {
            return [.. _idsBehind];
        }
    }

    public void RemoveIdBehind(int id)
    {
        lock (_idsBehind)
        {
            _idsBehind.Remove(id);
        }
    }

    public void AddIdBehind(int id)
    {
        lock (_idsBehind)
        {
            _idsBehind.Add(id);
        }
    }
}
