using Econtext.Forwarding;
using Econtext.Wire;

namespace Econtext.FuzzTests;

/// <summary>What the master keeps of a context's STDIO payloads, which a hostile context shapes at will.</summary>
public class StdioRegressionTests
{
    [Fact(Timeout = 30_000)]
    public async Task OutputWithoutNewlinesIsEmittedInPiecesNotBufferedWithoutBound()
    {
        await Task.Yield();
        var logs = new CapturingLoggerProvider();
        var remote = new RemoteOutput(logs.CreateUnfilteredFactory());
        byte[] chunk = new byte[1 + (1 << 20)];
        chunk[0] = RemoteOutput.StdoutStream;
        chunk.AsSpan(1).Fill((byte)'x');
        for (int i = 0; i < 8; i++)
        {
            remote.OnStdio(3, "hostile", chunk);
        }

        // 8 MiB without a newline: before, all of it stayed in the master's buffer until a newline
        // or the context's end; now it leaves in bounded lines as it arrives.
        List<string> pieces = logs.Messages.Select(m => m.EndsWith(RemoteOutput.CutMarker, StringComparison.Ordinal) ? m[..^RemoteOutput.CutMarker.Length] : m).ToList();
        long emitted = pieces.Sum(m => (long)m.Length);
        Assert.True(emitted >= (8L << 20) - RemoteOutput.MaxLineBytes, $"{emitted} bytes emitted of {8 << 20}");
        Assert.All(pieces, m => Assert.True(m.Length <= RemoteOutput.MaxLineBytes));
    }

    [Fact(Timeout = 10_000)]
    public async Task StdioForAStreamOtherThanStdoutOrStderrIsAProtocolViolation()
    {
        await Task.Yield();
        var remote = new RemoteOutput(new CapturingLoggerProvider().CreateUnfilteredFactory());
        // Each stream number had a buffer of its own that Flush (stdout and stderr only) never freed.
        var ex = Assert.Throws<ProtocolViolationException>(() => remote.OnStdio(3, "hostile", [77, (byte)'a']));
        Assert.Contains("stream 77", ex.Message, StringComparison.Ordinal);
    }
}
