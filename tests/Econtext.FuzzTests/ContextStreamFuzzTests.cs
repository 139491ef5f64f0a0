using System.IO.Pipelines;
using Econtext.Routing;
using Econtext.Wire;
using Xunit.Abstractions;

namespace Econtext.FuzzTests;

/// <summary>
/// Mutated streams of real frames into a <see cref="ContextStream"/> over an in-memory pipe, the
/// writer closing after them: every run must end in a break with a reason that says what happened
/// (EOF, a bad header, an oversized frame), never an internal error or a hang, and a frame that
/// announces more than the maximum must be refused before anything of its size is allocated.
/// </summary>
public class ContextStreamFuzzTests(ITestOutputHelper output)
{
    private const int MaxMessageSize = 1 << 20;

    private static readonly TimeSpan s_breakWithin = TimeSpan.FromSeconds(10);

    private static byte[] Frames()
    {
        var all = new List<byte>();
        for (int i = 0; i < 4; i++)
        {
            var frame = new FrameBuilder();
            frame.WriteBytes(Seeds.Errors()[0].AsSpan(0, 40 * i));
            frame.Complete(0, 3, 3, i == 0 ? Handles.Stdio : 1000 + i, Handles.None, (MessageFlags)i);
            all.AddRange(frame.Written.ToArray());
            frame.Dispose();
        }

        return [.. all];
    }

    [Fact(Timeout = FuzzBudget.TestTimeoutMilliseconds)]
    public async Task RandomBytesEndInABreakWithAReason()
    {
        long delivered = 0;
        try
        {
            await ParserProperty.SampleAsync(
                nameof(ContextStreamFuzzTests) + "." + nameof(RandomBytesEndInABreakWithAReason),
                [Frames()],
                input =>
                {
                    Interlocked.Add(ref delivered, Feed(input, out string reason));
                    Assert.DoesNotContain("internal error", reason, StringComparison.Ordinal);
                    Assert.True(reason.StartsWith("the stream closed (EOF)", StringComparison.Ordinal) || reason.StartsWith("protocol violation", StringComparison.Ordinal), reason);
                },
                2_000,
                () => 0,
                output);
        }
        finally
        {
            output.WriteLine($"{delivered} frames delivered to the handler");
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task AFrameAnnouncingTheMostThereIsIsRefusedBeforeItsSizeIsAllocated()
    {
        await Task.Yield();
        byte[] header = new byte[MessageHeader.Size];
        new MessageHeader(0, 3, 3, Handles.Stdio, Handles.None, MessageFlags.None, int.MaxValue).Write(header);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        Feed(header, out string reason);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.StartsWith("protocol violation", reason, StringComparison.Ordinal);
        Assert.Contains("maximum message size", reason, StringComparison.Ordinal);
        // The count is the whole process's, and other fuzz targets run at the same time (one long
        // pass saw 15 MB in these 120 ms); allocating the announced 2 GiB would still stand out.
        Assert.True(allocated < 512 << 20, $"{allocated} bytes allocated for a refused frame");
    }

    /// <summary>Writes <paramref name="input"/> and closes; returns the frames handed on, and why the stream broke.</summary>
    private static int Feed(byte[] input, out string reason)
    {
        var toStream = new Pipe();
        var fromStream = new Pipe();
        var stream = new ContextStream(toStream.Reader.AsStream(), fromStream.Writer.AsStream(), remoteId: 3, "fuzzed peer", MaxMessageSize);
        int delivered = 0;
        stream.Start((s, message) =>
        {
            Interlocked.Increment(ref delivered);
            Assert.InRange(message.Header.Length, 0, MaxMessageSize);
            Assert.True(message.Span.Length == message.Header.Length);
        }, (_, _) => { });
        using (Stream writer = toStream.Writer.AsStream())
        {
            writer.Write(input);
        }

        reason = stream.Broken.WaitAsync(s_breakWithin).GetAwaiter().GetResult();
        return delivered;
    }
}
