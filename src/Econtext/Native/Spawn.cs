using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Econtext.Native;

/// <summary>
/// posix_spawn, pseudo-terminal and wait calls for <see cref="Transports.SpawnedProcess"/>.
/// System.Diagnostics.Process cannot give a child pipes on 0/1/2 and, at the same time, a
/// pseudo-terminal as its controlling terminal; these calls can. Values are Linux (glibc) ones.
/// </summary>
internal static partial class Spawn
{
    // posix_spawnattr_setflags bits (glibc spawn.h). SETSID needs glibc 2.26.
    public const short PosixSpawnSetSigDefault = 0x04;
    public const short PosixSpawnSetSigMask = 0x08;
    public const short PosixSpawnSetSid = 0x80;

    public const int ONoctty = 0x100;

    public const int XOk = 1;
    public const int Tcsanow = 0;

    // c_lflag bits: echo off so what we type (a password) never comes back on the master.
    public const uint Echo = 0x8;
    public const uint Echonl = 0x40;

    // glibc's struct termios on x86-64 and arm64: four tcflag_t (uint) then c_line, c_cc[32] and
    // the two speeds, 60 bytes in all. We only touch c_lflag, the fourth uint; a bigger buffer is
    // used so a libc with a larger struct cannot write past it.
    public const int TermiosBufferSize = 256;
    public const int TermiosLflagOffset = 12;

    // Opaque glibc types are far smaller (posix_spawnattr_t 336, posix_spawn_file_actions_t 80,
    // sigset_t 128 bytes on x86-64); these sizes leave room on any libc we could meet.
    public const int SpawnAttributesSize = 1024;
    public const int FileActionsSize = 1024;
    public const int SigsetSize = 256;

    public const int Enoent = 2;
    public const int Esrch = 3;
    public const int Wnohang = 1;
    public const int Eio = 5;
    public const int Enoexec = 8;
    public const int Eacces = 13;

    public const int Sigpipe = 13;

    // Generic syscall numbers: the same on x86-64 and arm64 (added after the tables were unified).
    public const nint SysPidfdSendSignal = 424;
    public const nint SysPidfdOpen = 434;

    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    public static unsafe partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    public static unsafe partial int SpawnAttrInit(void* attributes);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    public static unsafe partial int SpawnAttrDestroy(void* attributes);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    public static unsafe partial int SpawnAttrSetFlags(void* attributes, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    public static unsafe partial int SpawnAttrSetSigMask(void* attributes, void* sigset);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    public static unsafe partial int SpawnAttrSetSigDefault(void* attributes, void* sigset);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    public static unsafe partial int FileActionsInit(void* fileActions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    public static unsafe partial int FileActionsDestroy(void* fileActions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static unsafe partial int FileActionsAddDup2(void* fileActions, int fd, int newFd);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addopen")]
    public static unsafe partial int FileActionsAddOpen(void* fileActions, int fd, byte* path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addclose")]
    public static unsafe partial int FileActionsAddClose(void* fileActions, int fd);

    /// <summary>glibc 2.34+; older ones throw EntryPointNotFoundException and we rely on O_CLOEXEC.</summary>
    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    public static unsafe partial int FileActionsAddCloseFrom(void* fileActions, int from);

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    public static unsafe partial int SigEmptySet(void* sigset);

    [LibraryImport("libc", EntryPoint = "sigaddset")]
    public static unsafe partial int SigAddSet(void* sigset, int signal);

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    public static partial int PosixOpenpt(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    public static partial int Grantpt(int masterFd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    public static partial int Unlockpt(int masterFd);

    /// <summary>Returns 0 or an error number (the reentrant one: ptsname's buffer is shared).</summary>
    [LibraryImport("libc", EntryPoint = "ptsname_r")]
    public static unsafe partial int PtsnameR(int masterFd, byte* buffer, nuint length);

    [LibraryImport("libc", EntryPoint = "tcgetattr", SetLastError = true)]
    public static unsafe partial int TcGetAttr(int fd, void* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr", SetLastError = true)]
    public static unsafe partial int TcSetAttr(int fd, int when, void* termios);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, out int status, int options);

    // syscall(2) is variadic; on x86-64 and arm64 Linux integer varargs travel exactly like fixed
    // arguments, so a fixed signature is sound there. glibc only wraps pidfd_* from 2.36.
    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall2(nint number, nint a, nint b);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial nint Syscall4(nint number, nint a, nint b, nint c, nint d);

    /// <summary>A pidfd (always close-on-exec) for <paramref name="pid"/>, or -1 (kernel before 5.3, or already reaped).</summary>
    public static int PidfdOpen(int pid) => (int)Syscall2(SysPidfdOpen, pid, 0);

    /// <summary>Signals the process behind a pidfd: unlike kill(2), never a recycled pid.</summary>
    public static int PidfdSendSignal(int pidfd, int signal) => (int)Syscall4(SysPidfdSendSignal, pidfd, signal, 0, 0);

    // PIDFD_GET_INFO = _IOWR(PIDFS_IOCTL_MAGIC 0xFF, 11, struct pidfd_info), first version's 64 bytes:
    // u64 mask, u64 cgroupid, eleven u32 ids (pid ... fsgid), then s32 exit_code at offset 60.
    private const nuint PidfdGetInfo = 0xC040FF0B;
    private const ulong PidfdInfoExit = 1 << 3;
    private const int PidfdInfoSize = 64;
    private const int PidfdInfoExitCodeOffset = 60;

    /// <summary>
    /// The wait status the kernel (6.15+) keeps for a pidfd's process once it has been reaped, by
    /// whoever reaped it; null while it is not yet reaped, or on an older kernel.
    /// </summary>
    public static unsafe int? PidfdExitStatus(int pidfd)
    {
        ulong* info = stackalloc ulong[PidfdInfoSize / sizeof(ulong)];
        new Span<byte>(info, PidfdInfoSize).Clear();
        info[0] = PidfdInfoExit;
        if (Libc.Ioctl(pidfd, PidfdGetInfo, (int*)info) != 0 || (info[0] & PidfdInfoExit) == 0)
        {
            return null;
        }

        return *(int*)((byte*)info + PidfdInfoExitCodeOffset);
    }

    /// <summary>waitpid's status as .NET's Process reports it: the exit code, or 128 + the signal.</summary>
    public static int DecodeWaitStatus(int status)
    {
        int signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }

    /// <summary>True when waitpid's status means the process is gone (not merely stopped or continued).</summary>
    public static bool IsTermination(int status) => (status & 0x7f) != 0x7f;

    /// <summary>A failed call's error, saying what we were doing and the system's reason.</summary>
    public static Win32Exception Failure(string what, int error) =>
        new(error, $"{what} failed: {Marshal.GetPInvokeErrorMessage(error)}");
}
