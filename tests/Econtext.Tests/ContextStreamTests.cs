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
}
