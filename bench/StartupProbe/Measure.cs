namespace Econtext.StartupProbe;

internal static class Measure
{
    public static async Task RunAsync(int runs)
    {
        // The floor goes first: RUSAGE_CHILDREN's maxrss is the largest child so far, so it is the
        // floor's own only while no context has run yet.
        var floorWall = new List<double>();
        var floorCpu = new List<double>();
        ProcSnapshot? floorSnap = null;
        long floorMaxRss = 0;
        using (Floor? floor = Floor.Create())
        {
            if (floor is not null)
            {
                for (int i = 0; i < runs; i++)
                {
                    (double wall, double cpu) = await floor.RunClosedAsync();
                    floorWall.Add(wall);
                    floorCpu.Add(cpu);
                }

                floorMaxRss = Native.Usage(Native.RusageChildren).MaxRssKib;
                floorSnap = await floor.SnapshotAtFirstReadAsync();
            }
        }

        var wallMs = new List<double>();
        var snaps = new List<ProcSnapshot>();
        double childrenLifeMs;
        double masterMs;
        await using (var router = new Router())
        {
            // Warm the master once, so the figures are those of a context, not of this process's JIT.
            Context warm = await router.LocalAsync();
            await warm.CallAsync(() => Workload.Ping());
            await warm.ShutdownAsync();

            Native.Rusage childrenBefore = Native.Usage(Native.RusageChildren);
            Native.Rusage selfBefore = Native.Usage(Native.RusageSelf);
            for (int i = 0; i < runs; i++)
            {
                var watch = Stopwatch.StartNew();
                Context context = await router.LocalAsync();
                await context.CallAsync(() => Workload.Ping());
                wallMs.Add(watch.Elapsed.TotalMilliseconds);
                snaps.Add(ProcSnapshot.Read(context.RemoteProcessId));
                await context.ShutdownAsync();
            }

            masterMs = (Native.Usage(Native.RusageSelf).CpuMs - selfBefore.CpuMs) / runs;

            // A context's process may be reaped a moment after ShutdownAsync returns.
            await Task.Delay(200);
            childrenLifeMs = (Native.Usage(Native.RusageChildren).CpuMs - childrenBefore.CpuMs) / runs;
        }

        var o = new StringBuilder();
        o.AppendLine(CultureInfo.InvariantCulture, $"## 1. Wall time (median of {runs})");
        o.AppendLine();
        o.AppendLine("| | median ms | min | max |");
        o.AppendLine("|---|---|---|---|");
        o.AppendLine(CultureInfo.InvariantCulture, $"| local connect + first call | {Stats.F(Stats.Median(wallMs))} | {Stats.F(wallMs.Min())} | {Stats.F(wallMs.Max())} |");
        if (floorWall.Count > 0)
        {
            o.AppendLine(CultureInfo.InvariantCulture, $"| runtime floor: `dotnet exec` of the loader, stdin closed | {Stats.F(Stats.Median(floorWall))} | {Stats.F(floorWall.Min())} | {Stats.F(floorWall.Max())} |");
            o.AppendLine(CultureInfo.InvariantCulture, $"| difference of the medians (Econtext's own part) | {Stats.F(Stats.Median(wallMs) - Stats.Median(floorWall))} | | |");
        }
        else
        {
            o.AppendLine("| runtime floor | not measured: src/Econtext.Loader/bin/Release/net10.0/Econtext.Loader.dll not found | | |");
        }

        o.AppendLine();
        o.AppendLine("## 2. CPU, threads and peak RSS per start");
        o.AppendLine();
        o.AppendLine("| process, when | CPU user+sys ms | of which sys | threads | VmHWM KiB |");
        o.AppendLine("|---|---|---|---|---|");
        o.AppendLine(CultureInfo.InvariantCulture, $"| child, after its first call: /proc stat utime+stime (mean; 10 ms ticks) | {Stats.F(snaps.Average(s => s.StatMs))} | {Stats.F(snaps.Average(s => s.SysMs))} | {Stats.Median(snaps.Select(s => (double)s.Threads))} (median) | {Stats.Median(snaps.Select(s => (double)s.VmHwmKib))} (median) |");
        o.AppendLine(CultureInfo.InvariantCulture, $"| child, after its first call: schedstat of live threads (median; ns) | {Stats.F(Stats.Median(snaps.Select(s => s.SchedMs)))} | | | |");
        o.AppendLine(CultureInfo.InvariantCulture, $"| child, whole life incl. shutdown: RUSAGE_CHILDREN delta / {runs} | {Stats.F(childrenLifeMs)} | | | |");
        if (floorCpu.Count > 0)
        {
            o.AppendLine(CultureInfo.InvariantCulture, $"| floor, whole life (stdin closed): RUSAGE_CHILDREN per run (median) | {Stats.F(Stats.Median(floorCpu))} | | | {floorMaxRss} (max of runs) |");
        }

        if (floorSnap is not null)
        {
            o.AppendLine(CultureInfo.InvariantCulture, $"| floor, blocked on its first read of stdin: /proc stat (one run) | {Stats.F(floorSnap.StatMs)} (schedstat {Stats.F(floorSnap.SchedMs)}) | {Stats.F(floorSnap.SysMs)} | {floorSnap.Threads} | {floorSnap.VmHwmKib} |");
        }

        o.AppendLine(CultureInfo.InvariantCulture, $"| master, per context start: RUSAGE_SELF delta / {runs} | {Stats.F(masterMs)} | | | |");
        o.AppendLine();
        o.AppendLine("Child threads alive after the first call, CPU from schedstat (mean per child):");
        o.AppendLine();
        o.AppendLine("| thread name | threads | CPU ms |");
        o.AppendLine("|---|---|---|");
        var names = snaps.SelectMany(s => s.ByThread).GroupBy(kv => kv.Key)
            .Select(g => (Name: g.Key, Count: g.Sum(kv => kv.Value.Count) / (double)runs, Ms: g.Sum(kv => kv.Value.Ms) / runs))
            .OrderByDescending(t => t.Ms);
        foreach (var (name, count, ms) in names)
        {
            o.AppendLine(CultureInfo.InvariantCulture, $"| `{name}` | {count:0.#} | {Stats.F(ms)} |");
        }

        Console.Write(o.ToString());
    }
}
