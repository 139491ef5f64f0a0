using System.Runtime.InteropServices;
using Econtext.Native;
using Microsoft.Win32.SafeHandles;

namespace Econtext.Transports;

/// <summary>
/// The pseudo-terminal master. Not a FileStream: Linux fails reads on a master with EIO once no
/// process has the slave open, which FileStream would throw and this reads as end of stream; and
/// Stream's default async methods would queue a write behind a pending read, so a password could
/// not be sent while a read waits for the next prompt.
/// </summary>
internal sealed class TerminalStream : Stream
{
    private readonly SafeFileHandle _handle;

    public TerminalStream(SafeFileHandle handle) => _handle = handle;

    public override bool CanRead => !_handle.IsClosed;

    public override bool CanWrite => !_handle.IsClosed;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override unsafe int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        using var terminal = new DescriptorLease(_handle);
        fixed (byte* bytes = buffer)
        {
            while (true)
            {
                nint count = Libc.Read(terminal.Descriptor, bytes, (nuint)buffer.Length);
                if (count >= 0)
                {
                    return (int)count;
                }

                int error = Marshal.GetLastPInvokeError();
                if (error == Spawn.Eio)
                {
                    return 0;
                }

                if (error != Libc.Eintr)
                {
                    throw new IOException($"Reading the terminal failed: {Marshal.GetPInvokeErrorMessage(error)}", error);
                }
            }
        }
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        Write(buffer.AsSpan(offset, count));
    }

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        using var terminal = new DescriptorLease(_handle);
        fixed (byte* bytes = buffer)
        {
            int written = 0;
            while (written < buffer.Length)
            {
                nint count = Libc.Write(terminal.Descriptor, bytes + written, (nuint)(buffer.Length - written));
                if (count >= 0)
                {
                    written += (int)count;
                    continue;
                }

                int error = Marshal.GetLastPInvokeError();
                if (error != Libc.Eintr)
                {
                    throw new IOException($"Writing to the terminal failed: {Marshal.GetPInvokeErrorMessage(error)}", error);
                }
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>
    /// Waits on its own thread (a prompt can take long). Cancellation wakes the wait through a
    /// pipe and nothing has been read by then, so no terminal output is lost to a cancelled read.
    /// </summary>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        return new ValueTask<int>(Task.Factory.StartNew(
            () => ReadCancellable(buffer, cancellationToken),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default));
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>Synchronous: what goes this way is a password line, far below the pty's buffer.</summary>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _handle.Dispose();
        }

        base.Dispose(disposing);
    }

    private unsafe int ReadCancellable(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return Read(buffer.Span);
        }

        (int wakeRead, int wakeWrite) = Libc.Pipe();
        try
        {
            // Disposing the registration waits for a running callback, so the write end is
            // never written after it is closed.
            using (cancellationToken.UnsafeRegister(static state => WakeUp((int)state!), wakeWrite))
            {
                using var terminal = new DescriptorLease(_handle);
                PollFd* fds = stackalloc PollFd[2];
                while (true)
                {
                    fds[0] = new PollFd { Fd = terminal.Descriptor, Events = Libc.PollIn };
                    fds[1] = new PollFd { Fd = wakeRead, Events = Libc.PollIn };
                    int ready = Libc.Poll(fds, 2, -1);
                    if (ready < 0)
                    {
                        int error = Marshal.GetLastPInvokeError();
                        if (error == Libc.Eintr)
                        {
                            continue;
                        }

                        throw new IOException($"Waiting on the terminal failed: {Marshal.GetPInvokeErrorMessage(error)}", error);
                    }

                    cancellationToken.ThrowIfCancellationRequested();

                    // Data, or a hang-up (POLLHUP/POLLERR) that the read turns into EIO, then 0.
                    if (fds[0].Revents != 0)
                    {
                        return Read(buffer.Span);
                    }
                }
            }
        }
        finally
        {
            _ = Libc.Close(wakeRead);
            _ = Libc.Close(wakeWrite);
        }
    }

    private static unsafe void WakeUp(int fd)
    {
        byte one = 1;
        _ = Libc.Write(fd, &one, 1);
    }
}
