using System.Runtime.InteropServices;
using Econtext.Native;

namespace Econtext.Transports;

/// <summary>
/// One thread that waits, with poll(2), on what the transports would otherwise each block a thread
/// on: the pidfd of every spawned process (readable once it has exited, then reaped with
/// waitpid(WNOHANG)) and its stderr and terminal (read a chunk at a time as lines arrive). A thread
/// per process for waitpid and one per stream cost a master with N direct contexts 3N threads
/// (616 for 200 local contexts) and every connection two or three thread starts (1-3 ms each on a
/// small VM). A wake-up pipe tells the thread about new descriptors. If the thread cannot be set
/// up, callers fall back to a thread of their own, as they do without a pidfd (kernels before 5.3).
/// What runs here must not block: one read per readiness, callbacks that only record or hand on
/// (a transport's late stderr goes to the router's logger, or to Console.Error without one).
/// </summary>
internal static class DescriptorPoller
{
    private const int StackSize = 256 * 1024;

    private static readonly Lock s_gate = new();
    private static readonly List<IPolledDescriptor> s_arrived = [];
    private static int s_wakeRead = -1;
    private static int s_wakeWrite = -1;

    /// <summary>
    /// Tests set this to run the fallback every caller has for a poller that cannot start (a thread
    /// per process and per stream), which no kernel this code is tested on would otherwise reach.
    /// </summary>
    internal static bool RefuseForTests { get; set; }

    /// <summary>
    /// Hands <paramref name="watched"/> to the poller thread, starting it on first use. False if the
    /// thread or its pipe could not be set up; the caller then waits on a thread of its own.
    /// </summary>
    public static unsafe bool TryWatch(IPolledDescriptor watched)
    {
        if (RefuseForTests)
        {
            return false;
        }

        lock (s_gate)
        {
            if (s_wakeWrite < 0 && !TryStart())
            {
                return false;
            }

            s_arrived.Add(watched);
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
            new Thread(Run, StackSize) { IsBackground = true, Name = "Econtext poller" }.UnsafeStart();
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
        var watched = new List<IPolledDescriptor>();
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
                fds[i + 1] = new PollFd { Fd = watched[i].Descriptor, Events = Libc.PollIn };
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
            for (int i = watched.Count - 1; i >= 0; i--)
            {
                if (fds[i + 1].Revents != 0 && OnReady(watched[i]))
                {
                    watched.RemoveAt(i);
                }
            }
        }
    }

    private static bool OnReady(IPolledDescriptor watched)
    {
        try
        {
            return watched.OnReady();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The thread serves every transport; one owner's failure must not stop the others.
            // Forgetting the descriptor is all that can be done for this one.
            return true;
        }
    }
}
