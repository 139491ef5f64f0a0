namespace Econtext.StartupProbe;

/// <summary>
/// A local context's resident memory by mapping, after the round trips bench/run makes before it
/// reads child_peak_rss_kib: which files and which anonymous regions the peak is made of.
/// </summary>
internal static class MemoryMap
{
    public static async Task RunAsync(int calls)
    {
        await using var router = new Router();
        Context context = await router.LocalAsync();
        var roundTripsUs = new double[calls];
        for (int i = 0; i < calls; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await context.CallAsync(() => Workload.Ping());
            roundTripsUs[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(roundTripsUs);
        Console.WriteLine($"round trip median {roundTripsUs[calls / 2]:F1} us, p99 {roundTripsUs[calls * 99 / 100]:F1} us");

        int pid = context.RemoteProcessId;
        var rows = new Dictionary<string, (long Rss, long Private, long Shared)>();
        string current = "";
        foreach (string line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && parts[0].Contains('-', StringComparison.Ordinal) && !parts[0].EndsWith(':'))
            {
                // A mapping's header: range perms offset dev inode [path]. Anonymous regions are
                // told apart by their permissions, which is how the runtime's heaps differ.
                current = parts.Length > 5 ? string.Join(' ', parts[5..]) : "[anon " + parts[1] + "]";
                continue;
            }

            if (parts.Length < 2 || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out long kib))
            {
                continue;
            }

            rows.TryGetValue(current, out var row);
            row = parts[0] switch
            {
                "Rss:" => row with { Rss = row.Rss + kib },
                "Private_Clean:" or "Private_Dirty:" => row with { Private = row.Private + kib },
                "Shared_Clean:" or "Shared_Dirty:" => row with { Shared = row.Shared + kib },
                _ => row,
            };
            rows[current] = row;
        }

        string status = File.ReadAllText($"/proc/{pid}/status");
        Console.WriteLine($"child pid {pid} after {calls} calls; " + string.Join(", ", status.Split('\n').Where(l => l.StartsWith("VmHWM", StringComparison.Ordinal) || l.StartsWith("VmRSS", StringComparison.Ordinal) || l.StartsWith("Rss", StringComparison.Ordinal)).Select(l => Regex.Replace(l, @"\s+", " "))));
        Console.WriteLine();
        Console.WriteLine("| mapping | RSS KiB | private | shared |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var (name, row) in rows.Where(r => r.Value.Rss > 0).OrderByDescending(r => r.Value.Rss))
        {
            Console.WriteLine($"| {name} | {row.Rss} | {row.Private} | {row.Shared} |");
        }

        Console.WriteLine($"| total | {rows.Values.Sum(r => r.Rss)} | {rows.Values.Sum(r => r.Private)} | {rows.Values.Sum(r => r.Shared)} |");

        // Only now: returning a string loads System.Text.Json, which the round trips above do not.
        Console.WriteLine();
        Console.WriteLine(await context.CallAsync(() => Workload.RuntimeMemory()));
        await context.ShutdownAsync();
    }
}
