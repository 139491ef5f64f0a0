using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Econtext.Bench;

/// <summary>
/// How the master's CPU time, its memory and the wall time grow with the number of contexts (issue 7).
/// For each kind and each N: start N contexts (Task.WhenAll, at most <c>parallel</c> starts in flight),
/// one Ping on each, a second Ping on all, then shut them all down, in a fresh Router each time.
/// Kinds: "local" (router.LocalAsync), "ssh" (N ssh sessions to the bench sshd, aliases peer-1..),
/// "tree" (up to 10 local intermediates, the N leaves spread over them with LocalOptions.Via) and
/// "ssh-tree" (up to 10 ssh intermediates, the N leaves local children of them). N counts leaves;
/// a tree's intermediates come on top and are reported as "hops".
/// </summary>
internal static class Scaling
{
    public static async Task<JsonObject> RunAsync(int[] counts, string[] kinds, string? sshConfig, string sshHost, int parallel)
    {
        var result = new JsonObject
        {
            ["how"] = "per kind and N, fresh Router: start N contexts at once (Task.WhenAll, at most `parallel` starts in flight), Ping on each, Ping on all again, shut all down; "
                + "master CPU = Process.TotalProcessorTime delta from before the first start to the end of the second round; RSS = VmRSS with all connected, peak = VmHWM after /proc/self/clear_refs; "
                + "machine_busy_cpu_ms = non-idle jiffies of all CPUs (/proc/stat) over the same span; N counts leaves, a tree's intermediates are extra (hops)",
            ["parallel_starts"] = parallel,
            ["machine"] = $"{Environment.ProcessorCount} cpu, {Environment.OSVersion.VersionString}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}",
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
        };

        // Warm this process (JIT, the first ssh) once, so N=1 is not the cost of the first use of everything.
        await using (var router = new Router())
        {
            Context warm = await router.LocalAsync();
            Context warmChild = await router.LocalAsync(new LocalOptions { Via = warm });
            await warmChild.CallAsync(() => Workloads.Ping());
            await warm.CallAsync(() => Workloads.Ping());
            await warmChild.ShutdownAsync();
            await warm.ShutdownAsync();
            if (sshConfig is not null && kinds.Any(k => k.StartsWith("ssh", StringComparison.Ordinal)))
            {
                Context warmSsh = await router.SshAsync(SshFor(sshConfig, sshHost, 0));
                await warmSsh.CallAsync(() => Workloads.Ping());
                await warmSsh.ShutdownAsync();
            }
        }

        foreach (string kind in kinds)
        {
            var rows = new JsonArray();
            result[kind] = rows;
            foreach (int n in counts)
            {
                if (kind.StartsWith("ssh", StringComparison.Ordinal) && sshConfig is null)
                {
                    rows.Add(new JsonObject { ["contexts"] = n, ["error"] = "no --ssh-config" });
                    continue;
                }

                Console.Error.WriteLine($"scaling: {kind} N={n} ...");
                JsonObject row = await OneAsync(kind, n, sshConfig, sshHost, parallel);
                Console.Error.WriteLine($"scaling: {kind} N={n}: {row.ToJsonString()}");
                rows.Add(row);
            }
        }

        return result;
    }

    private static SshOptions SshFor(string config, string host, int i) =>
        new() { Host = i == 0 ? host : $"{host}-{i}", SshArgs = ["-F", config], Name = $"scale-ssh{i}" };

    private static async Task<JsonObject> OneAsync(string kind, int n, string? sshConfig, string sshHost, int parallel)
    {
        // Give back what earlier rows left (bench/scaling runs each row in a fresh process anyway).
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        long rssBefore = Workloads.ResetPeakRss();
        if (rssBefore < 0)
        {
            rssBefore = Workloads.ReadStatus("VmRSS:");
        }

        var errors = new List<string>();
        using var gate = new SemaphoreSlim(parallel > 0 ? parallel : int.MaxValue);
        await using var router = new Router();

        async Task<Context?> Start(Func<Task<Context>> start)
        {
            await gate.WaitAsync();
            try
            {
                return await start();
            }
            catch (Exception ex)
            {
                lock (errors)
                {
                    errors.Add(ex.GetType().Name + ": " + ex.Message);
                }

                return null;
            }
            finally
            {
                gate.Release();
            }
        }

        long busyBefore = MachineBusyJiffies();
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();

        Context?[] hops = [];
        Context?[] leaves;
        double hopsMs = 0;
        if (kind is "local")
        {
            leaves = await Task.WhenAll(Enumerable.Range(0, n).Select(i => Start(() => router.LocalAsync(new LocalOptions { Name = "scale" + i }))));
        }
        else if (kind is "ssh")
        {
            // Aliases peer-1..peer-N, one ssh session each (ControlMaster is off in the bench config).
            leaves = await Task.WhenAll(Enumerable.Range(0, n).Select(i => Start(() => router.SshAsync(SshFor(sshConfig!, sshHost, i + 1)))));
        }
        else if (kind is "tree" or "ssh-tree")
        {
            int hopCount = Math.Clamp(n / 10, 1, 10);
            hops = await Task.WhenAll(Enumerable.Range(0, hopCount).Select(h => Start(() => kind is "tree"
                ? router.LocalAsync(new LocalOptions { Name = "hop" + h })
                : router.SshAsync(SshFor(sshConfig!, sshHost, h + 1)))));
            hopsMs = watch.Elapsed.TotalMilliseconds;
            leaves = await Task.WhenAll(Enumerable.Range(0, n).Select(i =>
            {
                Context? hop = hops[i % hopCount];
                return hop is null
                    ? Task.FromResult<Context?>(null)
                    : Start(() => router.LocalAsync(new LocalOptions { Name = $"leaf{i}", Via = hop }));
            }));
        }
        else
        {
            throw new ArgumentException($"unknown scaling kind '{kind}' (local, ssh, tree, ssh-tree)");
        }

        double connectedMs = watch.Elapsed.TotalMilliseconds;
        long rssAll = Workloads.ReadStatus("VmRSS:");
        int threadsAll = Process.GetCurrentProcess().Threads.Count;
        Context[] connected = leaves.Where(c => c is not null).ToArray()!;

        int answered = await PingAllAsync(connected, errors);
        double answeredMs = watch.Elapsed.TotalMilliseconds;
        var second = Stopwatch.StartNew();
        int answeredAgain = await PingAllAsync(connected, errors);
        double secondMs = second.Elapsed.TotalMilliseconds;
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
        double busyMs = (MachineBusyJiffies() - busyBefore) * 1000.0 / 100; // USER_HZ is 100 on Linux
        double spanMs = watch.Elapsed.TotalMilliseconds;

        var shutdown = Stopwatch.StartNew();
        await Task.WhenAll(connected.Select(c => Swallow(c.ShutdownAsync())));
        await Task.WhenAll(hops.Where(c => c is not null).Select(c => Swallow(c!.ShutdownAsync())));
        double shutdownMs = shutdown.Elapsed.TotalMilliseconds;
        double cpuWithShutdownMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
        long peak = Workloads.ReadStatus("VmHWM:");

        int failed = n - Math.Min(answered, answeredAgain) + hops.Count(h => h is null);
        var row = new JsonObject
        {
            ["contexts"] = n,
            ["hops"] = hops.Length,
            ["failed"] = failed,
            ["connect_all_ms"] = Stats.Round(connectedMs),
            ["answered_all_ms"] = Stats.Round(answeredMs),
            ["second_round_ms"] = Stats.Round(secondMs),
            ["shutdown_ms"] = Stats.Round(shutdownMs),
            ["master_cpu_ms"] = Stats.Round(cpuMs),
            ["master_cpu_with_shutdown_ms"] = Stats.Round(cpuWithShutdownMs),
            ["machine_busy_cpu_ms"] = Stats.Round(busyMs),
            ["machine_busy_fraction"] = Stats.Round(busyMs / (spanMs * Environment.ProcessorCount), 2),
            ["master_rss_before_kib"] = rssBefore,
            ["master_rss_all_kib"] = rssAll,
            ["master_peak_rss_kib"] = peak,
            ["master_threads_all"] = threadsAll,
        };
        if (hops.Length > 0)
        {
            row["hops_connected_ms"] = Stats.Round(hopsMs);
        }

        if (errors.Count > 0)
        {
            row["errors"] = new JsonArray(errors.GroupBy(e => e).Select(g => (JsonNode)$"{g.Count()}x {g.Key}").Take(10).ToArray());
        }

        return row;
    }

    private static async Task<int> PingAllAsync(Context[] contexts, List<string> errors)
    {
        int answered = 0;
        await foreach (ContextResult<int> one in contexts.CallEachAsync(() => Workloads.Ping()))
        {
            if (one.Succeeded && one.Value == 1)
            {
                answered++;
            }
            else
            {
                lock (errors)
                {
                    errors.Add($"call: {one.Error?.GetType().Name}: {one.Error?.Message}");
                }
            }
        }

        return answered;
    }

    private static async Task Swallow(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // A context already gone at shutdown is not a scaling failure; the calls above count those.
        }
    }

    /// <summary>Non-idle jiffies of all CPUs, from the first line of /proc/stat.</summary>
    private static long MachineBusyJiffies()
    {
        try
        {
            string[] f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            long[] v = f.Skip(1).Take(8).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();

            // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
            return v.Sum() - v[3] - v[4];
        }
        catch (Exception)
        {
            return 0;
        }
    }
}
