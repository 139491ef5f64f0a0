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
