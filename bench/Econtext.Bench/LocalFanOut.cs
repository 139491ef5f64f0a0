using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Econtext.Bench;

/// <summary>N local contexts started at once plus one call on each; the master's CPU time and peak memory with them.</summary>
internal static class LocalFanOut
{
    public static async Task<JsonObject> RunAsync(Router router, int n)
    {
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        Context[] contexts = await Task.WhenAll(Enumerable.Range(0, n).Select(i => router.LocalAsync(new LocalOptions { Name = "local-fan" + i })));
        double startedMs = watch.Elapsed.TotalMilliseconds;
        int answered = 0;
        await foreach (ContextResult<int> one in contexts.CallEachAsync(() => Workloads.Ping()))
        {
            answered += one.Succeeded ? 1 : 0;
        }

        double totalMs = watch.Elapsed.TotalMilliseconds;
        var second = Stopwatch.StartNew();
        await foreach (ContextResult<int> _ in contexts.CallEachAsync(() => Workloads.Ping()))
        {
        }

        double secondCallMs = second.Elapsed.TotalMilliseconds;
        double masterCpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
        long masterRss = Workloads.ReadStatus("VmRSS:");
        await Task.WhenAll(contexts.Select(c => c.ShutdownAsync()));
        return new JsonObject
        {
            ["contexts"] = n,
            ["answered"] = answered,
            ["connect_all_ms"] = Stats.Round(startedMs),
            ["connect_and_call_ms"] = Stats.Round(totalMs),
            ["second_call_all_ms"] = Stats.Round(secondCallMs),
            ["master_cpu_ms"] = Stats.Round(masterCpuMs),
            ["master_rss_kib_with_all"] = masterRss,
        };
    }
}
