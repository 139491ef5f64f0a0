using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Econtext;
using Econtext.Bench;

// One command, one JSON line: `dotnet run -c Release --project bench/Econtext.Bench`.
// Keys follow bench/mitogen-bench.py so the figures sit beside Mitogen's.
// `--scaling-only`: only the scaling figures (issue 7, Scaling.cs), one JSON object, nothing else run.
//   --scaling 1,10,50,100,200   --scaling-kinds local,ssh,tree[,ssh-tree]   --scaling-parallel 16 (starts in flight; 0 = all)
if (Array.IndexOf(args, "--scaling-only") >= 0)
{
    int[] counts = (ArgString("--scaling", null) ?? "1,10,50,100,200").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
    string[] kinds = (ArgString("--scaling-kinds", null) ?? "local,ssh,tree").Split(',', StringSplitOptions.RemoveEmptyEntries);
    JsonObject scaling = await Scaling.RunAsync(
        counts, kinds, ArgString("--ssh-config", Environment.GetEnvironmentVariable("PEERS_SSH_CONFIG")),
        ArgString("--ssh-host", Environment.GetEnvironmentVariable("PEERS_HOST")) ?? "peer", ArgInt("--scaling-parallel", 16));
    Console.WriteLine(scaling.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    return;
}

int connects = ArgInt("--connects", 10);
int rttCalls = ArgInt("--calls", 5000);
int mib = ArgInt("--mib", 100);

var result = new JsonObject
{
    ["machine"] = $"{Environment.ProcessorCount} cpu, {Environment.OSVersion.VersionString}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}",
    ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
};

string? sshConfig = ArgString("--ssh-config", Environment.GetEnvironmentVariable("PEERS_SSH_CONFIG"));
string sshHost = ArgString("--ssh-host", Environment.GetEnvironmentVariable("PEERS_HOST")) ?? "peer";

// First the workloads Mitogen's benchmark also runs (connects, round trips, 1 MiB messages, the
// 100 MiB file push, the 20-context fan-out), so that master_peak_rss_kib is the peak over the same
// work as Mitogen's parent VmHWM; the rest (calls that return 1 MiB, intermediates, 100 local
// contexts, the 1 GiB file, the bare host) follows and has its own peak.
await using var router = new Router();

// Warm the master once, so the figures are those of a context, not of this process's JIT.
Context warm = await router.LocalAsync();
await warm.CallAsync(() => Workloads.Ping());
await warm.ShutdownAsync();

// Our local connects and the runtime's bare start (`dotnet exec` of an empty program), taken in
// pairs, in turn first, so both see the same state of the machine; ratio per pair.
int blocks = ArgInt("--blocks", 10);
var connectMs = new List<double>();
var runtimeMs = new List<double>();
using (RuntimeFloor? runtime = RuntimeFloor.Create())
{
    for (int i = 0; i < connects; i++)
    {
        if (runtime is not null && i % 2 == 1)
        {
            runtimeMs.Add(await runtime.OnceMsAsync());
        }

        var watch = Stopwatch.StartNew();
        Context context = await router.LocalAsync();
        await context.CallAsync(() => Workloads.Ping());
        connectMs.Add(watch.Elapsed.TotalMilliseconds);
        await context.ShutdownAsync();
        if (runtime is not null && i % 2 == 0)
        {
            runtimeMs.Add(await runtime.OnceMsAsync());
        }
    }
}

if (runtimeMs.Count > 0)
{
    Stats.Figure(result, "floor_dotnet_start_ms", runtimeMs);
    Stats.Ratio(result, "local_connect_over_dotnet_start", connectMs, runtimeMs);
}
else
{
    result["floor_dotnet_start_ms"] = null;
}

var localConnect = new JsonObject
{
    ["min_ms"] = Stats.Round(connectMs.Min()),
    ["runs_ms"] = new JsonArray(connectMs.Select(v => (JsonNode)Stats.Round(v)).ToArray()),
};
Stats.Figure(localConnect, "median_ms", connectMs);
result["local_connect_first_call"] = localConnect;

// The pipe alone (a local `cat` echoing 64 bytes), what a local call's round trip sits on, in blocks
// between blocks of our round trips.
Context ctx = await router.LocalAsync();
Interleaved.RttBlocks rtt;
using (EchoFloor localEcho = EchoFloor.Local())
{
    rtt = await Interleaved.RoundTripsAsync(ctx, localEcho, rttCalls, blocks, warmup: 2000);
}

Stats.Figure(result, "floor_local_echo_rtt_us", rtt.Echo);
Stats.Ratio(result, "local_rtt_over_echo", rtt.OursBlockMedians, rtt.EchoBlockMedians);
long childRssAfterCalls = Workloads.ReadStatus("VmHWM:", ctx.RemoteProcessId);
JsonObject childMakeup = Workloads.MemoryMakeup(ctx.RemoteProcessId);
JsonObject localIdle = await ChildMemory.IdleAsync(ctx);

byte[] chunk = new byte[1024 * 1024];
Random.Shared.NextBytes(chunk);
double streamMibS = await Throughput.StreamAsync(ctx, chunk, mib);

if (sshConfig is not null)
{
    await SshBench.RunAsync(result, sshConfig, sshHost, connects, rttCalls, blocks, mib, ArgInt("--fanout", 20), ArgInt("--fanout-reps", 3));
}

result["master_peak_rss_kib"] = Workloads.ReadStatus("VmHWM:");
result["master_peak_rss_how"] = "VmHWM after the workloads Mitogen's benchmark also runs (local and ssh connects, round trips, 1 MiB messages, "
    + "the 100 MiB file push, the ssh fan-out); master_peak_rss_all_kib is the peak at the very end";

// The same round trip through one and two intermediate contexts.
Context via1 = await router.LocalAsync(new LocalOptions { Via = ctx });
Context via2 = await router.LocalAsync(new LocalOptions { Via = via1 });
double[] hopRtt = [await RoundTrip.MedianUsAsync(via1, rttCalls / 2), await RoundTrip.MedianUsAsync(via2, rttCalls / 2)];
await via2.ShutdownAsync();
await via1.ShutdownAsync();

var push = Stopwatch.StartNew();
for (int i = 0; i < mib; i++)
{
    await ctx.CallAsync(() => Workloads.Sink(chunk));
}

double pushMibS = mib / push.Elapsed.TotalSeconds;
var pull = Stopwatch.StartNew();
for (int i = 0; i < mib; i++)
{
    _ = await ctx.CallAsync(() => Workloads.Source(1024 * 1024));
}

double pullMibS = mib / pull.Elapsed.TotalSeconds;
result["local"] = new JsonObject
{
    ["call_rtt"] = Interleaved.CallRtt(rtt, rttCalls, blocks),
    ["call_rtt_via_1"] = new JsonObject { ["median_us"] = Stats.Round(hopRtt[0]) },
    ["call_rtt_via_2"] = new JsonObject { ["median_us"] = Stats.Round(hopRtt[1]) },
    ["send_1mib_msgs"] = new JsonObject { ["mib_per_s"] = Stats.Round(streamMibS), ["mib"] = mib, ["how"] = "CallNoReply per MiB, then one call that waits for the total (Mitogen's measure sends raw messages the same way)" },
    ["call_1mib"] = new JsonObject { ["mib_per_s"] = Stats.Round(pushMibS), ["mib"] = mib, ["how"] = "awaited call per MiB, a round trip each" },
    ["recv_1mib_msgs"] = new JsonObject { ["mib_per_s"] = Stats.Round(pullMibS), ["mib"] = mib, ["how"] = "awaited call per MiB returning byte[]" },
};
result["local_fanout"] = await LocalFanOut.RunAsync(router, ArgInt("--local-fanout", 100));
result["child_mem_local_kib"] = new JsonObject
{
    ["peak_after_calls"] = childRssAfterCalls,
    ["makeup_after_calls"] = childMakeup,
    ["idle_after_calls"] = localIdle,
    ["peak_after_transfers"] = Workloads.ReadStatus("VmHWM:", ctx.RemoteProcessId),
    ["idle_after_transfers"] = await ChildMemory.IdleAsync(ctx),
};
result["child_peak_rss_kib"] = childRssAfterCalls;
await ctx.ShutdownAsync();

if (sshConfig is not null)
{
    // Files beside scp, rsync and the plain ssh pipe, same config and cipher (--file-mib 0 / --tree-files 0 skip a part).
    // A failure here (a tool missing, a copy that came out wrong) is reported and leaves the other figures standing.
    try
    {
        result["files"] = await FileBench.RunAsync(
            sshConfig, sshHost, ArgInt("--file-mib", 1024), ArgInt("--file-reps", 1), ArgInt("--tree-files", 1000), ArgInt("--tree-reps", 3), ArgString("--cipher", null));
        if (result["files"]?["child_idle_big_file_kib"] is JsonObject idle)
        {
            // The peers' key names (bench/mitogen-bench.py); "1gib" is the default --file-mib, the JSON says what moved.
            result["child_idle_after_1gib_rss_kib"] = idle["after"]!["rss"]!.DeepClone();
            result["child_idle_after_1gib_private_kib"] = idle["after"]!["private"]!.DeepClone();
            result["child_idle_before_1gib_rss_kib"] = idle["before"]!["rss"]!.DeepClone();
            result["child_idle_before_1gib_private_kib"] = idle["before"]!["private"]!.DeepClone();
            result["child_idle_after_1gib_transferred_mib"] = idle["transferred_mib"]!.DeepClone();
            result["child_idle_after_1gib_over_before_private"] = idle["private_after_over_before"]!.DeepClone();
            result["child_idle_after_1gib_over_before_rss"] = idle["rss_after_over_before"]!.DeepClone();
        }
    }
    catch (Exception ex)
    {
        Console.Error.WriteLine($"bench: the file part failed: {ex}");
        result["files"] = new JsonObject { ["error"] = ex.Message };
    }

    // A host without .NET: the runtime sent once, then the cache (--bare-reps 0 skips).
    if (ArgInt("--bare-reps", 3) > 0)
    {
        try
        {
            result["bare_host"] = await BareHostBench.RunAsync(sshConfig, sshHost, ArgInt("--bare-reps", 3));
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"bench: the bare-host part failed: {ex}");
            result["bare_host"] = new JsonObject { ["error"] = ex.Message };
        }
    }
}

result["master_peak_rss_all_kib"] = Workloads.ReadStatus("VmHWM:");
Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));

string? ArgString(string name, string? fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

int ArgInt(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}
