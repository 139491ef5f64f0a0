namespace Econtext.IntegrationTests;

/// <summary>
/// A destination whose first write waits until the context has closed the file it reads (it sent
/// everything), then fails as a full disk would.
/// </summary>
internal sealed class FailsOnceSourceClosedStream(int contextPid, string sourcePath) : Stream
{
    public bool WaitedForClose { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        DateTime giveUp = DateTime.UtcNow.AddSeconds(20);
        while (IsOpenInContext() && DateTime.UtcNow < giveUp)
        {
            await Task.Delay(5, cancellationToken);
        }

        WaitedForClose = !IsOpenInContext();

        // The reply follows the close by microseconds, with no event of its own to wait for here; this
        // pause only makes sure it has arrived, so the race the test is about happens every time
        // (without the fix, the fetch hung in 2 runs of 2 with it, and passed without it).
        await Task.Delay(300, cancellationToken);
        throw new IOException("No space left on device (simulated)");
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private bool IsOpenInContext()
    {
        try
        {
            foreach (string fd in Directory.EnumerateFileSystemEntries($"/proc/{contextPid}/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget == sourcePath)
                    {
                        return true;
                    }
                }
                catch (IOException)
                {
                    // The descriptor closed while we looked.
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }

        return false;
    }
}
