using System.Runtime.InteropServices;

namespace Econtext.Native;

/// <summary>The few Linux calls the core needs that .NET does not expose.</summary>
internal static partial class Libc
{
    public const uint MfdCloexec = 1;
    public const int FDupfdCloexec = 1030;
    public const int OCloexec = 0x80000;
    public const int ORdwr = 2;
    public const int Sigterm = 15;
    public const int Sigkill = 9;

    /// <summary>
    /// A child's resolver for "libc", which names no file: the runtime would try a dozen paths and
    /// names (milliseconds of a start) before settling on the C library the process already runs
    /// with, which the main program's handle finds at once, glibc or musl alike.
    /// </summary>
    public static nint Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? path) =>
        name == "libc" ? NativeLibrary.GetMainProgramHandle() : 0;

    /// <summary>access(2): mode 0 (F_OK) asks whether the path exists, <see cref="Spawn.XOk"/> whether it is executable.</summary>
    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Access(string path, int mode);

    /// <summary>glibc's malloc_trim(3): gives the C heap's free pages back; absent from musl (the caller catches that).</summary>
    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    public static partial int MallocTrim(nuint pad);

    [LibraryImport("libc", EntryPoint = "unlink", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Unlink(string path);

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    public static partial int Dup2(int oldFd, int newFd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>Closes <paramref name="fd"/> unless it is -1, the "not open (any more)" of our callers.</summary>
    public static void CloseIfOpen(int fd)
    {
        if (fd >= 0)
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    public static unsafe partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);

    /// <summary>realpath(3): the absolute path with every symbolic link, "." and ".." resolved; null when a component does not exist.</summary>
    public static string? RealPath(string path)
    {
        nint resolved = RealPathNative(path, 0);
        if (resolved == 0)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int StatxNative(int directoryFd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ChownNative(string path, int uid, int gid);

    /// <summary>The numeric owner and group of a file (statx(2), whose layout is the same on every architecture).</summary>
    public static unsafe (int Uid, int Gid) Owner(string path)
    {
        const int AtFdCwd = -100;
        const uint StatxUid = 0x8;
        const uint StatxGid = 0x10;
        byte* buffer = stackalloc byte[256];
        if (StatxNative(AtFdCwd, path, 0, StatxUid | StatxGid, buffer) != 0)
        {
            throw new IOException($"cannot read the owner of {path}: {Marshal.GetLastPInvokeErrorMessage()}");
        }

        return (*(int*)(buffer + 20), *(int*)(buffer + 24));
    }

    /// <summary>
    /// stat(2), following links: the type bits (S_IFMT), the permission bits and the size of what
    /// <paramref name="path"/> leads to; null for a link to nothing, a loop of links, or no entry.
    /// </summary>
    public static unsafe (int Type, int Mode, long Size)? StatFollowed(string path)
    {
        const int AtFdCwd = -100;
        const uint StatxType = 0x1;
        const uint StatxMode = 0x2;
        const uint StatxSize = 0x200;
        byte* buffer = stackalloc byte[256];
        if (StatxNative(AtFdCwd, path, 0, StatxType | StatxMode | StatxSize, buffer) != 0)
        {
            return null;
        }

        int mode = *(ushort*)(buffer + 28);
        return (mode & TypeMask, mode & 0xFFF, *(long*)(buffer + 40));
    }

    /// <summary>
    /// The type bits (S_IFMT) of an open descriptor's file, from statx(2) on the descriptor itself,
    /// so what is judged is what was opened; -1 when it cannot be read.
    /// </summary>
    public static unsafe int FileType(int fd)
    {
        const int AtEmptyPath = 0x1000;
        const uint StatxType = 0x1;
        byte* buffer = stackalloc byte[256];
        if (StatxNative(fd, string.Empty, AtEmptyPath, StatxType, buffer) != 0)
        {
            return -1;
        }

        return *(ushort*)(buffer + 28) & TypeMask;
    }

    public const int TypeMask = 0xF000;
    public const int TypeFifo = 0x1000;
    public const int TypeCharacterDevice = 0x2000;
    public const int TypeDirectory = 0x4000;
    public const int TypeBlockDevice = 0x6000;
    public const int TypeRegular = 0x8000;
    public const int TypeSocket = 0xC000;
    public const int ORdonly = 0;

    public static void Chown(string path, int uid, int gid)
    {
        if (ChownNative(path, uid, gid) != 0)
        {
            throw new UnauthorizedAccessException($"cannot give {path} the owner {uid}:{gid}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "setpgid", SetLastError = true)]
    public static partial int SetProcessGroup(int pid, int processGroup);

    public const int Fionread = 0x541B;
    public const int FSetPipeSize = 1031;
    public const short PollIn = 1;

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    public static unsafe partial int Ioctl(int fd, nuint request, int* argument);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static unsafe partial int Poll(PollFd* fds, nuint count, int timeout);

    public const short PollOut = 4;
    public const int FGetFl = 3;
    public const int FSetFl = 4;
    public const int ONonblock = 0x800;
    public const int Eagain = 11;
    public const int Eintr = 4;

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static unsafe partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static unsafe partial nint Read(int fd, byte* buffer, nuint count);

    /// <summary>Bytes waiting in a pipe, or -1.</summary>
    public static unsafe int BytesAvailable(int fd)
    {
        int available = 0;
        return Ioctl(fd, Fionread, &available) == 0 ? available : -1;
    }

    public static unsafe (int Read, int Write) Pipe()
    {
        int* fds = stackalloc int[2];
        if (Pipe2(fds, OCloexec) != 0)
        {
            throw new IOException($"pipe2 failed, errno {Marshal.GetLastPInvokeError()}");
        }

        return (fds[0], fds[1]);
    }

    public static int DupCloexec(int fd)
    {
        int copy = Fcntl(fd, FDupfdCloexec, 3);
        return copy >= 0 ? copy : throw new IOException($"duplicating fd {fd} failed, errno {Marshal.GetLastPInvokeError()}");
    }

    public static void Dup2OrThrow(int oldFd, int newFd)
    {
        if (Dup2(oldFd, newFd) < 0)
        {
            throw new IOException($"dup2({oldFd}, {newFd}) failed, errno {Marshal.GetLastPInvokeError()}");
        }
    }
}
