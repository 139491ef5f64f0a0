using Econtext.Native;

namespace Econtext.Transports;

/// <summary>
/// Descriptors made in the parent for a child to get as its 0/1/2 or as its terminal: all kept off
/// 0/1/2 themselves, so the child's set-up cannot overwrite one with another.
/// </summary>
internal static class ChildDescriptors
{
    /// <summary>A close-on-exec pipe with both ends above 2 and, where allowed, a 1 MiB buffer.</summary>
    public static (int Read, int Write) PipeAboveStdio()
    {
        (int read, int write) = Libc.Pipe();
        try
        {
            read = AboveStdio(read);
            write = AboveStdio(write);

            // 1 MiB instead of 64 KiB, as the child does on its side: bulk data (a file, 1 MiB
            // messages) then moves in large writes and reads, with far fewer wake-ups on each end.
            // Best effort: the system's pipe-max-size may refuse it.
            _ = Libc.Fcntl(read, Libc.FSetPipeSize, 1 << 20);
            return (read, write);
        }
        catch
        {
            Libc.CloseIfOpen(read);
            Libc.CloseIfOpen(write);
            throw;
        }
    }

    /// <summary>
    /// Moves an fd off 0/1/2 (which it only is if our own stdio was closed): dup2-ing it onto another
    /// standard fd in the child could otherwise overwrite a source not yet copied.
    /// </summary>
    public static int AboveStdio(int fd)
    {
        if (fd > 2)
        {
            return fd;
        }

        try
        {
            return Libc.DupCloexec(fd);
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }
}
