namespace Econtext.Routing;

/// <summary>
/// One thread per process that hands a lent receive loop to a follower once the work it was lent
/// for has run for a tick (1-2 ms). It ticks only while some loop was lent in the last ten
/// ticks, and otherwise sleeps until the next lend: an idle context wakes nothing, and a context
/// called now and then costs one wake-up per call. (A hundred ticks made every child of a fan-out
/// tick for a tenth of a second after its call: a second call on 100 local contexts took 136-213
/// ms against 64-70 with ten, `Econtext.Bench --scaling-only --scaling 100 --scaling-kinds local`.)
/// </summary>
internal static class LoopWatchdog
{
    private const int TickMs = 1;

    private static readonly object s_lock = new();
    private static readonly List<ReceiveLoop> s_watched = [];
    private static Thread? s_thread;
    private static bool s_unavailable;

    /// <summary>Watches the loop's lends from now on; false when no watchdog thread could be had.</summary>
    public static bool Watch(ReceiveLoop loop)
    {
        if (Volatile.Read(ref loop.Watched))
        {
            return true;
        }

        lock (s_lock)
        {
            if (loop.Watched)
            {
                return true;
            }

            if (s_thread is null && !s_unavailable)
            {
                try
                {
                    s_thread = new Thread(Run) { IsBackground = true, Name = "econtext loop watchdog" };
                    s_thread.UnsafeStart();
                }
                catch (OutOfMemoryException)
                {
                    // No thread to be had (a ulimit): loops are handed over at once instead.
                    s_thread = null;
                    s_unavailable = true;
                }
            }

            if (s_unavailable)
            {
                return false;
            }

            loop.Watched = true;
            s_watched.Add(loop);
            if (s_watched.Count == 1)
            {
                Monitor.Pulse(s_lock);
            }

            return true;
        }
    }

    private static void Run()
    {
        lock (s_lock)
        {
            while (true)
            {
                if (s_watched.Count == 0)
                {
                    Monitor.Wait(s_lock);
                }
                else
                {
                    Monitor.Wait(s_lock, TickMs);
                }

                for (int i = s_watched.Count - 1; i >= 0; i--)
                {
                    ReceiveLoop loop = s_watched[i];
                    if (!loop.Tick())
                    {
                        // A lend that began after the tick and saw Watched still set must not go
                        // unwatched: cleared first, then the lend read again (fenced both ways,
                        // see ReceiveLoop.TryLend).
                        Volatile.Write(ref loop.Watched, false);
                        Interlocked.MemoryBarrier();
                        if (loop.IsLent)
                        {
                            loop.Watched = true;
                            continue;
                        }

                        s_watched[i] = s_watched[^1];
                        s_watched.RemoveAt(s_watched.Count - 1);
                    }
                }
            }
        }
    }
}
