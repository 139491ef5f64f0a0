using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Econtext.Bench;

/// <summary>
/// A child's memory once it is idle, measured as the peers' are (bench/mitogen-bench.py): resident
/// (VmRSS), peak (VmHWM) and private (USS: Private_Clean + Private_Dirty of /proc/PID/smaps_rollup).
/// "Idle": one cheap call first (everything before it has been answered), then the reading is taken
/// again every 250 ms until it has not fallen (by more than 1 % or 64 KiB) for <see cref="Quiet"/>,
/// at most <see cref="Bound"/>. <see cref="Quiet"/> is longer than the child's idle trim delay (2 s
/// after its last call ends, src/Econtext/Calls/IdleTrim.cs), so the reading is taken after the trim,
/// not in a race with it. The child's /proc is read from here when it is on this machine (the
/// loopback bench), so the polling does not itself call into the child; through a call otherwise.
/// </summary>
internal static class ChildMemory
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(250);

    public static async Task<JsonObject> IdleAsync(Context ctx)
    {
        bool here = await ctx.CallAsync(() => Workloads.ProcView()) == Workloads.ProcView();
        int pid = ctx.RemoteProcessId;
        Func<Task<long[]>> read = here ? () => Task.FromResult(Workloads.MemoryKib(pid)) : () => ctx.CallAsync(() => Workloads.MemoryKib(0));
        long[] first = await read();
        long[] last = first;
        var watch = Stopwatch.StartNew();
        int steady = 0;
        while (steady * Every < Quiet && watch.Elapsed < Bound)
        {
            await Task.Delay(Every);
            long[] now = await read();
            bool fell = Fell(last[0], now[0]) || Fell(last[2], now[2]);
            steady = fell ? 0 : steady + 1;
            last = now;
        }

        return new JsonObject
        {
            ["rss"] = last[0],
            ["peak_rss"] = last[1],
            ["private"] = last[2],
            ["rss_at_first"] = first[0],
            ["private_at_first"] = first[2],
            ["settle_ms"] = Stats.Round(watch.Elapsed.TotalMilliseconds, 0),
            ["read_from"] = here ? "/proc of this machine" : "a call into the child",
        };
    }

    private static bool Fell(long before, long now) => now < before - Math.Max(64, before / 100);
}
