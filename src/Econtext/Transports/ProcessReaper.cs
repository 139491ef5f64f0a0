using System.Runtime.InteropServices;
using Econtext.Native;

namespace Econtext.Transports;

/// <summary>
/// One thread that reaps every spawned process that has a pidfd: it polls their pidfds (readable
/// once the process has exited) and a wake-up pipe for new ones, and reaps each exited process with
/// waitpid(WNOHANG). A thread per process, blocked in waitpid, cost every connection a thread start
/// on its connect path (1-3 ms on a small VM, most of it waiting for the new thread to set itself
/// up) and a master with N direct contexts N threads; now the first spawn starts this thread and the
/// rest only register. Processes without a pidfd (kernels before 5.3) keep a thread of their own.
/// </summary>
internal static class ProcessReaper
{
    private const int StackSize = 256 * 1024;

    private static readonly Lock s_gate = new();
    private static readonly List<SpawnedProcess> s_arrived = [];
    private static int s_wakeRead = -1;
    private static int s_wakeWrite = -1;

    /// <summary>
    /// Hands <paramref name="process"/> (whose pidfd is open) to the reaper thread, starting it on
    /// first use. False if the thread or its pipe could not be set up; the caller then reaps itself.
    /// </summary>
    public static unsafe bool TryWatch(SpawnedProcess process)
    {
        lock (s_gate)
        {
            if (s_wakeWrite < 0 && !TryStart())
            {
                return false;
            }

            s_arrived.Add(process);
        }

        // One byte is enough to end the poll; a full pipe (EAGAIN) means a wake-up is pending already.
        byte one = 1;
        while (Libc.Write(s_wakeWrite, &one, 1) < 0 && Marshal.GetLastPInvokeError() == Libc.Eintr)
        {
        }

        return true;
    }

    private static unsafe bool TryStart()
    {
        int* fds = stackalloc int[2];
        if (Libc.Pipe2(fds, Libc.OCloexec | Libc.ONonblock) != 0)
        {
            return false;
        }

        s_wakeRead = fds[0];
        s_wakeWrite = fds[1];
        try
        {
            new Thread(Run, StackSize) { IsBackground = true, Name = "Econtext reaper" }.UnsafeStart();
            return true;
        }
        catch (Exception ex) when (ex is OutOfMemoryException or ThreadStartException)
        {
            _ = Libc.Close(s_wakeRead);
            _ = Libc.Close(s_wakeWrite);
            s_wakeRead = s_wakeWrite = -1;
            return false;
        }
    }

    private static unsafe void Run()
    {
        var watched = new List<SpawnedProcess>();
        var fds = new PollFd[8];
        byte* drain = stackalloc byte[64];
        while (true)
        {
            lock (s_gate)
            {
                watched.AddRange(s_arrived);
                s_arrived.Clear();
            }

            if (fds.Length < watched.Count + 1)
            {
                fds = new PollFd[Math.Max(fds.Length * 2, watched.Count + 1)];
            }

            fds[0] = new PollFd { Fd = s_wakeRead, Events = Libc.PollIn };
            for (int i = 0; i < watched.Count; i++)
            {
                fds[i + 1] = new PollFd { Fd = watched[i].Pidfd, Events = Libc.PollIn };
            }

            int ready;
            fixed (PollFd* pointer = fds)
            {
                ready = Libc.Poll(pointer, (nuint)(watched.Count + 1), -1);
            }

            if (ready <= 0)
            {
                // EINTR; nothing else can fail for valid descriptors and an infinite timeout.
                continue;
            }

            if (fds[0].Revents != 0)
            {
                while (Libc.Read(s_wakeRead, drain, 64) > 0)
                {
                }
            }

            // Backwards, so removing an entry leaves the indexes still to visit where they were.
            bool unreaped = false;
            for (int i = watched.Count - 1; i >= 0; i--)
            {
                if (fds[i + 1].Revents == 0)
                {
                    continue;
                }

                if (watched[i].TryReap())
                {
                    watched.RemoveAt(i);
                }
                else
                {
                    unreaped = true;
                }
            }

            // A pidfd that polls readable with nothing to reap yet (some early pidfd kernels woke
            // pollers when a thread-group leader exited before its other threads) would otherwise
            // spin this loop until the rest of the group exits.
            if (unreaped)
            {
                Thread.Sleep(1);
            }
        }
    }
}
