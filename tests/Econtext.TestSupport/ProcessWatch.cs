using System.Runtime.InteropServices;

namespace Econtext.TestSupport;

/// <summary>
/// Waits for a process that is not necessarily ours to exit: pidfd_open + poll (readable once the
/// process has exited, zombie or not), falling back to watching /proc/PID/stat.
/// </summary>
public static partial class ProcessWatch
{
    private const long SysPidfdOpen = 434; // the same number on x86-64 and arm64
    private const int Esrch = 3;
    private const int Eintr = 4;
    private const short PollIn = 1;

    /// <summary>True once the process has exited (a zombie counts as exited), false at the deadline.</summary>
    public static async Task<bool> WaitForExitAsync(int pid, TimeSpan timeout)
    {
        long fd = Syscall(SysPidfdOpen, pid, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Esrch)
            {
                return true;
            }

            return await PollProcAsync(pid, timeout);
        }

        try
        {
            return await Task.Factory.StartNew(() => PollReadable((int)fd, timeout), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        finally
        {
            _ = Close((int)fd);
        }
    }

    private static bool PollReadable(int fd, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            int left = (int)Math.Max(0, deadline - Environment.TickCount64);
            var poll = new PollFd { Fd = fd, Events = PollIn };
            int n = Poll(ref poll, 1, left);
            if (n > 0)
            {
                return true;
            }

            if (n == 0 || (n < 0 && Marshal.GetLastPInvokeError() != Eintr) || left == 0)
            {
                return false;
            }
        }
    }

    private static async Task<bool> PollProcAsync(int pid, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Processes.IsRunning(pid))
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int pid, uint flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(ref PollFd fds, ulong count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
