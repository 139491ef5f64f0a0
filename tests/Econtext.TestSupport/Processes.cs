using System.Globalization;
using System.Runtime.InteropServices;

namespace Econtext.TestSupport;

/// <summary>/proc lookups and signals by process id (never by name).</summary>
public static partial class Processes
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);

    public static void Signal(int pid, int signal) => _ = KillNative(pid, signal);

    /// <summary>Ids of every process now in /proc.</summary>
    public static IEnumerable<int> All()
    {
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                yield return pid;
            }
        }
    }

    /// <summary>Whether the process exists and has not exited (zombies have exited).</summary>
    public static bool IsRunning(int pid)
    {
        string? stat = ReadStat(pid);
        if (stat is null)
        {
            return false;
        }

        int close = stat.LastIndexOf(')');
        char state = close >= 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
        return state is not ('Z' or 'X' or 'x');
    }

    /// <summary>The start time (field 22 of /proc/PID/stat): with the pid, names one process for good.</summary>
    public static long? StartTime(int pid) => Field(pid, 22);

    public static int? ParentOf(int pid) => Field(pid, 4) is { } parent ? (int)parent : null;

    /// <summary>The real uid of the process, from /proc/PID/status.</summary>
    public static int? UidOf(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }

    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').TrimEnd();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    /// <summary>All descendants of <paramref name="root"/> now running, children before their own children.</summary>
    public static List<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (int pid in All())
        {
            if (ParentOf(pid) is { } parent)
            {
                if (!children.TryGetValue(parent, out List<int>? list))
                {
                    children[parent] = list = [];
                }

                list.Add(pid);
            }
        }

        var result = new List<int>();
        var queue = new Queue<int>();
        queue.Enqueue(root);
        while (queue.Count > 0)
        {
            if (children.TryGetValue(queue.Dequeue(), out List<int>? list))
            {
                foreach (int child in list)
                {
                    result.Add(child);
                    queue.Enqueue(child);
                }
            }
        }

        return result;
    }

    /// <summary>readlink /proc/PID/ns/KIND, or null if the process is gone.</summary>
    public static string? Namespace(int pid, string kind)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/{kind}").LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The other processes (zombies too) in the pid namespace of <paramref name="pid"/>, such as what runs in a container beside its init.</summary>
    public static List<int> OthersInPidNamespaceOf(int pid)
    {
        string? ns = Namespace(pid, "pid");
        return ns is null ? [] : All().Where(other => other != pid && Namespace(other, "pid") == ns).ToList();
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the processes beside <paramref name="pid"/> in its pid
    /// namespace to be gone, reaped too (a context goes with its pipe, with no event to wait on from
    /// outside), then returns those still there.
    /// </summary>
    public static async Task<List<int>> WaitAloneInPidNamespaceAsync(int pid, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        List<int> left;
        while ((left = OthersInPidNamespaceOf(pid)).Count > 0 && Environment.TickCount64 < deadline)
        {
            await Task.Delay(20);
        }

        return left;
    }

    /// <summary>Waits until none of the processes runs any more, up to the deadline.</summary>
    public static async Task<bool> WaitGoneAsync(IEnumerable<int> pids, TimeSpan timeout)
    {
        List<int> left = [.. pids];
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            left.RemoveAll(pid => !IsRunning(pid));
            if (left.Count == 0)
            {
                return true;
            }

            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }
    }

    private static string? ReadStat(int pid)
    {
        try
        {
            return File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A numeric field of /proc/PID/stat, counted as in proc(5) (1 = pid).</summary>
    private static long? Field(int pid, int number)
    {
        string? stat = ReadStat(pid);
        int close = stat?.LastIndexOf(')') ?? -1;
        if (stat is null || close < 0)
        {
            return null;
        }

        // Fields from 3 (state) on follow the ") " after the command name.
        string[] rest = stat[(close + 2)..].Split(' ');
        int index = number - 3;
        return index >= 0 && index < rest.Length && long.TryParse(rest[index], NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) ? value : null;
    }
}
