using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Econtext.Native;
using Econtext.Wire;

namespace Econtext.Routing;

/// <summary>
/// One duplex byte pipe to one directly connected context (or, in a child, to its parent).
/// Read top to bottom: start, send, break; then the send path, which drains a queue in order, on
/// the sending thread when the pipe is idle (no thread hop on the hot path) and never blocking a
/// receive thread (so two receive loops can never wait on each other's full pipes); then the
/// framing of received bytes into <see cref="Message"/>s. One abort path, <see cref="Break"/>,
/// records the first failure. The loop that calls <see cref="ReceiveOne"/>, on one thread at a
/// time, and lends itself to the work a message brings, is <see cref="ReceiveLoop"/>.
/// </summary>
internal sealed class ContextStream
{
    /// <summary>Payloads above this size come from the array pool instead of the GC heap.</summary>
    private const int PoolThreshold = 16 * 1024;

    private readonly Stream _input;
    private readonly Stream _output;
    private readonly int _maxMessageSize;
    private readonly HashSet<int> _idsBehind = [];
    private readonly TaskCompletionSource<string> _broken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _brokenReason;
    private Action<ContextStream, Message>? _onMessage;
    private Action<ContextStream, string>? _onBroken;

    // Receiving: the framing state, kept here rather than in locals because the loop moves between threads.
    private readonly ReceiveLoop _loop;
    private readonly byte[] _receiveBuffer = new byte[64 * 1024];
    private int _receiveStart;
    private int _receiveEnd;

    // Sending: the queue, its drainer's count of requests, the frame being written and how far.
    private readonly ConcurrentQueue<FrameBuilder> _outbound = new();
    private readonly SendBacklog _backlog = new();
    private int _drainRequests;
    private readonly int _outFd = -1;
    private readonly SafeHandle? _outHandle;
    private FrameBuilder? _current;
    private int _currentOffset;

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
        _loop = new ReceiveLoop(this);
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

    /// <summary>
    /// The one limit on answering what the peer sends at will, for a peer that may never read: an
    /// answer to GET_ASSEMBLY or FILE_GET waits for its turn (<see cref="SendTurn"/>) until less than
    /// this is queued here, and a refusal (a DEAD or ERROR reply to a frame that asked for one) is
    /// dropped unsent while this much is. One value serves all because each asks the same thing of
    /// the same queue: how much may sit in it for a peer that does not read. Whichever of them such
    /// a peer provokes, it makes this process hold this much plus the one message whose turn it was;
    /// a separate, larger limit for one of them would set the bound for all. A peer that reads does
    /// not meet it: the pipe's own 1 MiB (a local child's) is its buffer, and the sender holding the
    /// turn writes straight into the pipe (fetching from the master at full speed, four files at
    /// once, never queued more than one 256 KiB chunk). A message larger than this (an image of a
    /// few MiB) still goes: its turn is taken while the queue is under the limit.
    /// </summary>
    public const long AnswerQueueLimit = 1024 * 1024;

    /// <summary>Whether an unasked-for answer (a refusal) may be queued now: less than <see cref="AnswerQueueLimit"/> waits here.</summary>
    public bool HasRoomForAnswers => QueuedBytes < AnswerQueueLimit;

    /// <summary>Bytes of frames queued for this pipe and not yet written: what the peer, by not reading, makes this process hold.</summary>
    public long QueuedBytes => _backlog.Bytes;

    /// <summary>
    /// Completes with true once fewer than <paramref name="bytes"/> are queued (at once if so now),
    /// or with false once the stream is broken. For senders that must not queue without bound for a
    /// peer that may never read (replies to requests the peer makes at will).
    /// </summary>
    public Task<bool> WhenQueuedBelowAsync(long bytes) => _brokenReason is null ? _backlog.WhenBelowAsync(bytes) : Task.FromResult(false);

    /// <summary>
    /// <see cref="Environment.TickCount64"/> when the peer last showed it is alive: bytes arrived
    /// from it, or it read bytes of ours that had waited for room in the pipe.
    /// </summary>
    public long LastHeard => Math.Max(Volatile.Read(ref _lastReceived), Volatile.Read(ref _lastDrained));

    /// <summary>Completes with the reason once the stream is broken.</summary>
    public Task<string> Broken => _broken.Task;

    /// <summary>
    /// Starts receiving: <paramref name="onMessage"/> gets each frame on the receive loop, which it
    /// must not block (it may lend it, <see cref="Message.Loop"/>); <paramref name="onBroken"/> runs
    /// once, with the first failure.
    /// </summary>
    public void Start(Action<ContextStream, Message> onMessage, Action<ContextStream, string> onBroken)
    {
        _onMessage = onMessage;
        _onBroken = onBroken;
        _loop.Start();
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

        _backlog.Add(frame.Length);
        _outbound.Enqueue(frame);
        Drain(mayBlock: !ReceiveLoop.OnReceiveThread);
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
        _loop.Stop();

        while (_outbound.TryDequeue(out FrameBuilder? frame))
        {
            Unqueued(frame);
        }

        _backlog.Close();

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

    /// <summary>A queued frame was written or thrown away: it leaves the backlog and goes back to its pool.</summary>
    private void Unqueued(FrameBuilder frame)
    {
        _backlog.Remove(frame.Length);
        frame.Dispose();
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
                _current = null;
                continue;
            }

            ReadOnlyMemory<byte> head = _current.Written;
            ReadOnlyMemory<byte> tail = _current.Tail;
            if (_outFd < 0)
            {
                _output.Write(head.Span);
                _output.Write(tail.Span);
                _currentOffset = head.Length + tail.Length;
            }
            else if (!WritePart(head, 0, mayBlock) || !WritePart(tail, head.Length, mayBlock))
            {
                return false;
            }

            Unqueued(_current);
            _current = null;
        }
    }

    /// <summary>
    /// Writes what is left of one part of the current frame (its buffer, or its tail, which starts
    /// at <paramref name="at"/> in the frame); false when the pipe is full and blocking is not allowed.
    /// </summary>
    private unsafe bool WritePart(ReadOnlyMemory<byte> part, int at, bool mayBlock)
    {
        int end = at + part.Length;
        if (_currentOffset >= end || _brokenReason is not null)
        {
            return true;
        }

        // Hold the handle so a concurrent Break cannot close the descriptor (and let its
        // number be reused) in the middle of a write.
        bool added = false;
        _outHandle!.DangerousAddRef(ref added);
        try
        {
            fixed (byte* start = part.Span)
            {
                while (_currentOffset < end)
                {
                    nint n = Libc.Write(_outFd, start + (_currentOffset - at), (nuint)(end - _currentOffset));
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
                        ReceiveLoop.HandOverIfLent();
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

        return true;
    }

    /// <summary>
    /// Reads one frame and hands it to the handler; false once the stream is broken. Called by
    /// <see cref="ReceiveLoop"/>; nothing of the framing state is touched after the handler runs: it
    /// may have lent the loop, and the lend may have been handed over to another thread.
    /// </summary>
    internal bool ReceiveOne()
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
        byte[] payload = header.Length == 0 ? [] : pooled ? LargeBuffers.Rent(header.Length) : GC.AllocateUninitializedArray<byte>(header.Length);
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
                    LargeBuffers.Return(payload);
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

        var message = new Message(header, payload, pooled, _loop);
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

    /// <summary>Whether <paramref name="id"/> lives at or behind the other end of this stream.</summary>
    public bool Owns(int id)
    {
        lock (_idsBehind)
        {
            return _idsBehind.Contains(id);
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
