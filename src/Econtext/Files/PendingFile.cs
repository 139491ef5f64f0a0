using Econtext.Routing;
using System.Buffers.Binary;
using System.Text;
using Econtext.Streams;
using Econtext.Wire;

namespace Econtext.Files;

/// <summary>
/// In a context: a file on its way from the master. Each MORE reply is one chunk; the last reply
/// carries the file's length, mode and time, or why the master refused. The master sends at most
/// the credit window ahead of what was taken (<paramref name="returnCredit"/> gives it back), so the
/// buffer here stays within it.
/// </summary>
internal sealed class PendingFile(string path, Action<int> returnCredit) : IPendingReply
{
    private readonly TaskCompletionSource<FileFacts> _facts = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int TargetId => 0;

    public ItemReceiver<byte[]> Chunks { get; } = new(returnCredit);

    public Task<FileFacts> Facts => _facts.Task;

    public void Complete(Message reply)
    {
        MessageFlags flags = reply.Header.Flags;
        if ((flags & MessageFlags.More) != 0)
        {
            if (!Chunks.Offer(reply.Span.ToArray()))
            {
                End(new IOException($"the master sent more of {path} than this context gave credit for"));
            }

            return;
        }

        if ((flags & MessageFlags.Dead) != 0)
        {
            End(new ContextDisconnectedException("master", Encoding.UTF8.GetString(reply.Span)));
        }
        else if ((flags & MessageFlags.Error) != 0)
        {
            string why = Encoding.UTF8.GetString(reply.Span);
            End(why.Contains("refused", StringComparison.Ordinal) ? new UnauthorizedAccessException(why) : new IOException(why));
        }
        else
        {
            _facts.TrySetResult(ReadFacts(reply.Span));
            Chunks.End();
        }
    }

    /// <summary>The last reply's payload: length (i64), mode (i32), modification time in UTC ticks (i64).</summary>
    /// <exception cref="ProtocolViolationException">Fewer than those 20 bytes.</exception>
    internal static FileFacts ReadFacts(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        long length = BinaryPrimitives.ReadInt64BigEndian(reader.ReadBytes(8));
        int mode = reader.ReadInt32();
        long modified = BinaryPrimitives.ReadInt64BigEndian(reader.ReadBytes(8));
        return new FileFacts(true, length, null, mode, modified);
    }

    public void Fail(Exception error) => End(error);

    public void Cancel(CancellationToken token) => End(new OperationCanceledException(token));

    private void End(Exception error)
    {
        _facts.TrySetException(error);
        Chunks.End(error);
    }
}
