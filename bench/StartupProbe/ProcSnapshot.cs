namespace Econtext.StartupProbe;

/// <summary>A process's CPU, threads and peak RSS, read from /proc while it is still alive.</summary>
internal sealed record ProcSnapshot(double UserMs, double SysMs, double SchedMs, int Threads, long VmHwmKib, Dictionary<string, (int Count, double Ms)> ByThread)
{
    public double StatMs => UserMs + SysMs;

    public static ProcSnapshot Read(int pid)
    {
        // utime and stime count every thread, including those that have exited, but only in clock
        // ticks (10 ms); schedstat is in nanoseconds but only for the threads still alive. Both are
        // kept so one can check the other.
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        double tick = 1000.0 / Native.ClockTicksPerSecond;
        double user = long.Parse(fields[11], CultureInfo.InvariantCulture) * tick;
        double sys = long.Parse(fields[12], CultureInfo.InvariantCulture) * tick;

        var byThread = new Dictionary<string, (int Count, double Ms)>();
        double sched = 0;
        foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
        {
            try
            {
                string name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                if (Path.GetFileName(task) == pid.ToString(CultureInfo.InvariantCulture))
                {
                    name = "main thread (" + name + ")";
                }

                double ms = long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture) / 1e6;
                sched += ms;
                byThread[name] = byThread.TryGetValue(name, out var seen) ? (seen.Count + 1, seen.Ms + ms) : (1, ms);
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }

        int threads = 0;
        long hwm = 0;
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                threads = int.Parse(line[8..].Trim(), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwm = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return new ProcSnapshot(user, sys, sched, threads, hwm, byThread);
    }
}
