namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>
/// A source for PushStreamAsync that gives <c>length</c> bytes and then neither more nor an end, until
/// disposed (cancelling the read does not end it): the push is provably mid-flight (its temporary file on the target holds exactly those
/// bytes, and the remote method waits for the next chunk) for as long as the test wants.
/// </summary>
public sealed class StalledSource(int length) : Stream
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _given;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n = Math.Min(buffer.Length, length - _given);
        if (n > 0)
        {
            buffer.Span[..n].Fill((byte)'s');
            _given += n;
            return n;
        }

        // Stalled: the end comes only when the test lets go. Like a pipe whose writer went quiet, it
        // does not wake for the token either, so the copy's own error path cannot end the call for it.
        await _released.Task;
        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _released.TrySetResult();
        base.Dispose(disposing);
    }
}
