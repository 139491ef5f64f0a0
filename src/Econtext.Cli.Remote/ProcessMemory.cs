using System.Globalization;

namespace Econtext.Cli.Remote;

/// <summary>A context's own footprint on its host, for <c>econtext agent status</c>.</summary>
public static class ProcessMemory
{
    /// <summary>
    /// Resident memory, private memory (what only this process holds: smaps_rollup's Private_Clean and
    /// Private_Dirty) in KiB, and the CPU time used so far in clock ticks (utime + stime); -1 for what
    /// cannot be read.
    /// </summary>
    public static long[] Read()
    {
        long rss = -1;
        long privateKiB = -1;
        try
        {
            foreach (string line in File.ReadLines("/proc/self/smaps_rollup"))
            {
                if (line.StartsWith("Rss:", StringComparison.Ordinal))
                {
                    rss = KiB(line);
                }
                else if (line.StartsWith("Private_Clean:", StringComparison.Ordinal) || line.StartsWith("Private_Dirty:", StringComparison.Ordinal))
                {
                    privateKiB = Math.Max(privateKiB, 0) + KiB(line);
                }
            }
        }
        catch (IOException)
        {
            // An old kernel without smaps_rollup: the figures stay unknown.
        }

        long ticks = -1;
        try
        {
            string stat = File.ReadAllText("/proc/self/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or FormatException or IndexOutOfRangeException)
        {
            // Unknown, as above.
        }

        return [rss, privateKiB, ticks];
    }

    private static long KiB(string line) =>
        long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
}
