namespace Econtext.IntegrationTests;

/// <summary>
/// A destination whose first write waits until the final reply of the fetch has arrived in the
/// master (the context sent every chunk and returned), then fails as a full disk would: the master
/// then gives up on a call whose reply is in while its chunks still wait to drain.
/// </summary>
internal sealed class FailsOnceReplyIsInStream(Router router, int contextId) : Stream
{
    /// <summary>Whether the write failed only once the reply was in (false: it gave up waiting for it).</summary>
    public bool ReplyWasIn { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // The fetch's reply handle is among those the master waits on for the context now (a chunk
        // came on it); the master stops waiting on it the moment the final reply arrives, before it
        // hands the reply to the call. That moment has no event of its own, so it is polled for; the
        // deadline only turns a reply that never comes into a failed assertion instead of a hang.
        int[] waiting = Infrastructure.RouterInternals.PendingHandlesFor(router, contextId);
        DateTime giveUp = DateTime.UtcNow.AddSeconds(20);
        while (Infrastructure.RouterInternals.PendingHandlesFor(router, contextId).Intersect(waiting).Any() && DateTime.UtcNow < giveUp)
        {
            await Task.Delay(1, cancellationToken);
        }

        ReplyWasIn = !Infrastructure.RouterInternals.PendingHandlesFor(router, contextId).Intersect(waiting).Any();
        throw new IOException("No space left on device (simulated)");
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
