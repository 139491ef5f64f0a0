using Econtext.Routing;
using Econtext.Wire;

namespace Econtext.Tests;

public class ContextStreamTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    [Fact(Timeout = 20_000)]
    public async Task DeliversFramesInOrderBothWays()
    {
        var pipe = new InMemoryDuplex();
        var a = new ContextStream(pipe.AInput, pipe.AOutput, remoteId: 1, "a", 1 << 20);
        var b = new ContextStream(pipe.BInput, pipe.BOutput, remoteId: 0, "b", 1 << 20);
        var atB = new List<int>();
        var gotAll = new TaskCompletionSource();
        var echo = new TaskCompletionSource<byte[]>();
        b.Start((_, m) =>
        {
            lock (atB)
            {
                atB.Add(new PayloadReader(m.Span).ReadInt32());
                if (atB.Count == 100)
                {
                    gotAll.TrySetResult();
                }
            }
        }, (_, _) => { });
        a.Start((_, m) => echo.TrySetResult(m.Span.ToArray()), (_, _) => { });

        for (int i = 0; i < 100; i++)
        {
            var frame = new FrameBuilder();
            frame.WriteInt32(i);
            frame.Complete(1, 0, 0, Handles.Call, 0, MessageFlags.None);
            a.Send(frame);
        }

        var big = new FrameBuilder();
        byte[] payload = new byte[300_000];
        new Random(5).NextBytes(payload);
        big.WriteBytes(payload);
        big.Complete(0, 1, 1, 1000, 0, MessageFlags.None);
        b.Send(big);

        await gotAll.Task.WaitAsync(s_wait);
        Assert.Equal(Enumerable.Range(0, 100), atB);
        Assert.Equal(payload, await echo.Task.WaitAsync(s_wait));
    }

    /// <summary>Two streams joined by in-memory pipes: a (talking to context 1) and b (to context 0).</summary>
    internal static (ContextStream A, ContextStream B) InMemoryPair()
    {
        var pipe = new InMemoryDuplex();
        return (new ContextStream(pipe.AInput, pipe.AOutput, remoteId: 1, "a", 1 << 20),
                new ContextStream(pipe.BInput, pipe.BOutput, remoteId: 0, "b", 1 << 20));
    }

    private static void SendNumber(ContextStream stream, int n)
    {
        var frame = new FrameBuilder();
        frame.WriteInt32(n);
        frame.Complete(1, 0, 0, Handles.Call, 0, MessageFlags.None);
        stream.Send(frame);
    }

    [Fact(Timeout = 20_000)]
    public async Task AHandlerThatLendsTheLoopMayBlockWhileAnotherThreadReceives()
    {
        (ContextStream a, ContextStream b) = InMemoryPair();
        using var secondArrived = new ManualResetEventSlim();
        var first = new TaskCompletionSource<(bool Lent, bool SawSecond, int Thread)>();
        int secondThread = 0;
        b.Start((_, m) =>
        {
            if (new PayloadReader(m.Span).ReadInt32() == 0)
            {
                bool lent = m.Loop!.TryLend();
                // Without the lend the second frame could not be read until this handler returned.
                bool sawSecond = secondArrived.Wait(s_wait);
                first.TrySetResult((lent, sawSecond, Environment.CurrentManagedThreadId));
            }
            else
            {
                secondThread = Environment.CurrentManagedThreadId;
                secondArrived.Set();
            }
        }, (_, _) => { });
        a.Start((_, _) => { }, (_, _) => { });

        SendNumber(a, 0);
        SendNumber(a, 1);
        (bool wasLent, bool sawSecond, int firstThread) = await first.Task.WaitAsync(s_wait);
        Assert.True(wasLent);
        Assert.True(sawSecond, "the frame behind the lent one was not delivered while the first handler ran");
        Assert.NotEqual(firstThread, secondThread);
    }

    [Fact(Timeout = 20_000)]
    public async Task LendingIsRefusedOffTheThreadThatReadTheMessageAndBeyondFourAtOnce()
    {
        (ContextStream a, ContextStream b) = InMemoryPair();
        using var gate = new ManualResetEventSlim();
        var answers = new bool[6];
        using var answered = new CountdownEvent(6);
        IReceiveLoop? loop = null;
        b.Start((_, m) =>
        {
            int n = new PayloadReader(m.Span).ReadInt32();
            loop = m.Loop;
            answers[n] = m.Loop!.TryLend();
            answered.Signal();
            if (answers[n])
            {
                gate.Wait(s_wait);
            }
        }, (_, _) => { });
        a.Start((_, _) => { }, (_, _) => { });

        for (int i = 0; i < 6; i++)
        {
            SendNumber(a, i);
        }

        // The fifth and sixth handlers were refused, so they ran on the loop and returned at once.
        Assert.True(await Task.Run(() => answered.Wait(s_wait)));
        Assert.Equal([true, true, true, true, false, false], answers);

        // The loop a message came with lends only to the thread running it, not to whoever holds the message later.
        Assert.False(loop!.TryLend());
        gate.Set();
    }

    [Fact(Timeout = 20_000)]
    public async Task AnExchangeOfLentFramesKeepsReusingAFewThreads()
    {
        (ContextStream a, ContextStream b) = InMemoryPair();
        var threads = new HashSet<int>();
        var done = new TaskCompletionSource();
        const int Rounds = 1000;

        // b answers each frame from a lent thread; a sends the next when the answer arrives.
        b.Start((stream, m) =>
        {
            int n = new PayloadReader(m.Span).ReadInt32();
            Assert.True(m.Loop!.TryLend());
            lock (threads)
            {
                threads.Add(Environment.CurrentManagedThreadId);
            }

            SendNumber(stream, n);
        }, (_, _) => { });
        a.Start((stream, m) =>
        {
            int n = new PayloadReader(m.Span).ReadInt32();
            if (n + 1 == Rounds)
            {
                done.TrySetResult();
            }
            else
            {
                SendNumber(stream, n + 1);
            }
        }, (_, _) => { });

        SendNumber(a, 0);
        await done.Task.WaitAsync(s_wait);
        // A few threads take turns: each, once its work is done, waits to take the loop over again
        // (without followers kept, every lend started a thread: a thousand here).
        Assert.InRange(threads.Count, 1, 4);
    }

    [Fact(Timeout = 20_000)]
    public async Task GarbageBreaksTheStreamWithTheReason()
    {
        var pipe = new InMemoryDuplex();
        var stream = new ContextStream(pipe.BInput, pipe.BOutput, 1, "peer", 1 << 20);
        stream.Start((_, _) => Assert.Fail("garbage must not be delivered"), (_, _) => { });
        await pipe.AOutput.WriteAsync("SSH-2.0-OpenSSH_9.2 this is not a frame\r\n"u8.ToArray());
        await pipe.AOutput.FlushAsync();

        string reason = await stream.Broken.WaitAsync(s_wait);
        Assert.Contains("protocol violation from peer", reason, StringComparison.Ordinal);
        Assert.Contains("bad magic", reason, StringComparison.Ordinal);
        Assert.Throws<StreamBrokenException>(() => stream.Send(new FrameBuilder()));
    }

    [Fact(Timeout = 20_000)]
    public async Task OversizeLengthBreaksTheStreamBeforeReadingThePayload()
    {
        var pipe = new InMemoryDuplex();
        var stream = new ContextStream(pipe.BInput, pipe.BOutput, 1, "peer", 64 * 1024);
        stream.Start((_, _) => Assert.Fail("an oversize frame must not be delivered"), (_, _) => { });
        byte[] header = new byte[MessageHeader.Size];
        new MessageHeader(0, 1, 1, Handles.Stdio, 0, MessageFlags.None, 2_000_000_000).Write(header);
        await pipe.AOutput.WriteAsync(header);
        await pipe.AOutput.FlushAsync();

        string reason = await stream.Broken.WaitAsync(s_wait);
        Assert.Contains("2000000000 bytes", reason, StringComparison.Ordinal);
        Assert.Contains("65536", reason, StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task EndOfStreamInsideAFrameSaysSo()
    {
        var pipe = new InMemoryDuplex();
        var stream = new ContextStream(pipe.BInput, pipe.BOutput, 1, "peer", 1 << 20);
        var broken = new TaskCompletionSource<string>();
        stream.Start((_, _) => { }, (_, reason) => broken.TrySetResult(reason));
        byte[] header = new byte[MessageHeader.Size];
        new MessageHeader(0, 1, 1, Handles.Stdio, 0, MessageFlags.None, 100).Write(header);
        await pipe.AOutput.WriteAsync(header);
        await pipe.AOutput.WriteAsync(new byte[10]);
        await pipe.AOutput.DisposeAsync();

        string reason = await broken.Task.WaitAsync(s_wait);
        Assert.Contains("inside a 100-byte frame after 10 bytes", reason, StringComparison.Ordinal);
    }

    [Fact(Timeout = 20_000)]
    public async Task TheFirstFailureIsTheOneReported()
    {
        var pipe = new InMemoryDuplex();
        var stream = new ContextStream(pipe.BInput, pipe.BOutput, 1, "peer", 1 << 20);
        var reasons = new List<string>();
        stream.Start((_, _) => { }, (_, r) => reasons.Add(r));
        stream.Break("first");
        stream.Break("second");
        Assert.Equal("first", await stream.Broken.WaitAsync(s_wait));
        Assert.Equal(["first"], reasons);
    }

    /// <summary>
    /// Many threads sending at once over a real non-blocking pipe: every frame arrives. A lost
    /// drain (a frame queued while the previous drainer was finishing, then nobody writing it)
    /// shows as a missing frame and a timeout.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task Concurrent_senders_over_a_pipe_lose_no_frame()
    {
        const int Senders = 4;
        const int PerSender = 20_000;
        (ContextStream a, ContextStream b) = PipePair();
        int received = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Start((_, _) =>
        {
            if (Interlocked.Increment(ref received) == Senders * PerSender)
            {
                all.TrySetResult();
            }
        }, (_, reason) => all.TrySetException(new InvalidOperationException(reason)));
        a.Start((_, _) => { }, (_, _) => { });

        await Task.WhenAll(Enumerable.Range(0, Senders).Select(sender => Task.Run(() =>
        {
            for (int i = 0; i < PerSender; i++)
            {
                var frame = new FrameBuilder();
                frame.WriteInt32(i);
                frame.Complete(1, 0, 0, Handles.Call, 0, MessageFlags.None);
                a.Send(frame);
            }
        })));

        await all.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Senders * PerSender, Volatile.Read(ref received));
        a.Break("done");
        b.Break("done");
    }

    /// <summary>
    /// One call at a time, the reply sent from a pool thread as the dispatcher does: the pattern of a
    /// round-trip benchmark in which one reply once stayed in the queue with nobody draining it.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task Sequential_round_trips_over_pipes_never_stall()
    {
        (ContextStream master, ContextStream child) = PipePair();
        TaskCompletionSource? waiting = null;
        child.Start((_, m) =>
        {
            int n = new PayloadReader(m.Span).ReadInt32();
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                var reply = new FrameBuilder();
                reply.WriteInt32(n);
                reply.Complete(0, 1, 1, Handles.Call, 0, MessageFlags.None);
                child.Send(reply);
            }, null);
        }, (_, _) => { });
        master.Start((_, _) => Volatile.Read(ref waiting)!.TrySetResult(), (_, _) => { });

        for (int i = 0; i < 30_000; i++)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref waiting, done);
            var call = new FrameBuilder();
            call.WriteInt32(i);
            call.Complete(1, 0, 0, Handles.Call, 0, MessageFlags.None);
            master.Send(call);
            await done.Task.WaitAsync(TimeSpan.FromSeconds(5));
        }

        master.Break("done");
        child.Break("done");
    }

    /// <summary>
    /// Frames that end with a tail (a file chunk sent without copying it into the frame), between
    /// small ones, over OS pipes (partial non-blocking writes cross the boundary between a frame's
    /// buffer and its tail) and over in-memory streams: every payload arrives whole and in order,
    /// and each tail goes back to its owner exactly once, after it was written.
    /// </summary>
    [Theory(Timeout = 60_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Frames_with_tails_arrive_whole_and_release_each_tail_once(bool osPipes)
    {
        (ContextStream a, ContextStream b) = osPipes ? PipePair() : InMemoryPair();
        const int Frames = 60;
        var random = new Random(22);
        var expected = new List<byte[]>();
        var received = new List<byte[]>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        b.Start((_, m) =>
        {
            lock (received)
            {
                received.Add(m.Span.ToArray());
                if (received.Count == Frames)
                {
                    all.TrySetResult();
                }
            }
        }, (_, reason) => all.TrySetException(new InvalidOperationException(reason)));
        a.Start((_, _) => { }, (_, _) => { });

        var released = new System.Collections.Concurrent.ConcurrentDictionary<byte[], int>(ReferenceEqualityComparer.Instance);
        var tails = new List<byte[]>();
        const int Tails = Frames - (Frames / 3);
        int releases = 0;
        var allReleased = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (int i = 0; i < Frames; i++)
        {
            var frame = new FrameBuilder();
            frame.WriteInt32(i);
            if (i % 3 != 2)
            {
                // Sizes around the pipe's buffer and the chunk size, odd ones included.
                byte[] tail = new byte[random.Next(1, 700_000)];
                random.NextBytes(tail);
                tails.Add(tail);
                frame.EndWith(tail, t =>
                {
                    released.AddOrUpdate(t, 1, (_, n) => n + 1);
                    if (Interlocked.Increment(ref releases) == Tails)
                    {
                        allReleased.TrySetResult();
                    }
                });
                Assert.Throws<InvalidOperationException>(() => frame.WriteInt32(0));
                expected.Add([.. BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(i)), .. tail]);
            }
            else
            {
                expected.Add(BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(i)));
            }

            Assert.Equal(expected[^1].Length, frame.PayloadLength);
            frame.Complete(1, 0, 0, Handles.Call, 0, MessageFlags.None);
            a.Send(frame);
        }

        await all.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(expected.Count, received.Count);
        for (int i = 0; i < Frames; i++)
        {
            Assert.True(expected[i].AsSpan().SequenceEqual(received[i]), $"frame {i} arrived changed");
        }

        // Every tail goes back once its frame is written: all are released, each once, and nothing stays queued.
        await allReleased.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(await a.WhenQueuedBelowAsync(1).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(Tails, tails.Count);
        Assert.Equal(tails.Count, released.Count);
        Assert.All(tails, t => Assert.Equal(1, released[t]));
        a.Break("done");
        b.Break("done");
    }

    /// <summary>Two streams over two OS pipes, writing through the non-blocking descriptor path.</summary>
    private static (ContextStream A, ContextStream B) PipePair()
    {
        (int aToBRead, int aToBWrite) = Econtext.Native.Libc.Pipe();
        (int bToARead, int bToAWrite) = Econtext.Native.Libc.Pipe();
        static FileStream Open(int fd, FileAccess access) => new(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), access, bufferSize: 0);
        var a = new ContextStream(Open(bToARead, FileAccess.Read), Open(aToBWrite, FileAccess.Write), remoteId: 1, "a", 1 << 20);
        var b = new ContextStream(Open(aToBRead, FileAccess.Read), Open(bToAWrite, FileAccess.Write), remoteId: 0, "b", 1 << 20);
        return (a, b);
    }
}
