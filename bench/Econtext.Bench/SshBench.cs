using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Econtext.Bench;

/// <summary>
/// The same workloads over ssh, beside the OpenSSH floor measured in the same run and interleaved
/// with it: `ssh host true`, `ssh host 'cat >/dev/null'` fed the same bytes, and `ssh host cat` echoing
/// 64 bytes for the round trip.
/// </summary>
internal static class SshBench
{
    /// <summary>
    /// The key exchange OpenSSH offers besides its default (9.x: the post-quantum hybrid
    /// sntrup761x25519-sha512, about 70 ms of every connection here): the floor rows and our connects
    /// are taken with both, so readers see what the default costs (docs/performance.md, "The key exchange").
    /// </summary>
    public const string FastKex = "curve25519-sha256";

    public static async Task RunAsync(JsonObject result, string config, string host, int connects, int calls, int blocks, int mib, int fanout, int fanoutReps)
    {
        await using var router = new Router();
        var options = new SshOptions { Host = host, SshArgs = ["-F", config] };
        var fast = options with { SshArgs = ["-F", config, "-o", "KexAlgorithms=" + FastKex] };
        string[] fastArgs = ["-o", "KexAlgorithms=" + FastKex];
        double? loadBefore = Stats.LoadAverage();

        // Warm this process (JIT, first ssh) before timing anything.
        foreach (SshOptions o in (SshOptions[])[options, fast])
        {
            Context warm = await router.SshAsync(o);
            await warm.CallAsync(() => Workloads.Ping());
            await warm.ShutdownAsync();
        }

        _ = await SshTrueMs(config, host);
        string? kex = await NegotiatedKexAsync(config, host);

        // Each rep takes the four back to back, starting from a different one, so load falls on all.
        var trueMs = new List<double>();
        var trueFastMs = new List<double>();
        var connectMs = new List<double>();
        var connectFastMs = new List<double>();
        Func<Task>[] connectSteps =
        [
            async () => trueMs.Add(await SshTrueMs(config, host)),
            async () => trueFastMs.Add(await SshTrueMs(config, host, fastArgs)),
            async () => connectMs.Add(await ConnectMs(router, options)),
            async () => connectFastMs.Add(await ConnectMs(router, fast)),
        ];
        await RotateAsync(connectSteps, connects);

        // The session alone (a remote `cat` echoing 64 bytes) in blocks between blocks of round trips.
        Interleaved.RttBlocks rtt;
        Context ctx = await router.SshAsync(options);
        using (EchoFloor echo = EchoFloor.Ssh(config, host))
        {
            rtt = await Interleaved.RoundTripsAsync(ctx, echo, calls, blocks, warmup: 1000);
        }

        JsonObject idle = await ChildMemory.IdleAsync(ctx);

        byte[] chunk = new byte[1024 * 1024];
        Random.Shared.NextBytes(chunk);
        double?[] pipes = await SshPipeMibS(config, host, chunk, mib, Stats.Median(trueMs), "cat >/dev/null", BigPipeReader);
        double? pipeMibS = pipes[0];
        double? bigReaderPipeMibS = pipes[1];
        double pushMibS = await Throughput.StreamAsync(ctx, chunk, mib);
        (double filePushMibS, double fileFetchMibS) = await FilesMibS(ctx, chunk, mib);
        JsonObject afterFiles = await ChildMemory.IdleAsync(ctx);
        await ctx.ShutdownAsync();

        var parallelTrue = new List<double>();
        var parallelTrueFast = new List<double>();
        var fanoutMs = new List<double>();
        var fanoutFastMs = new List<double>();
        Func<Task>[] fanoutSteps =
        [
            async () => parallelTrue.Add(await ParallelTrueMs(config, host, fanout, [])),
            async () => parallelTrueFast.Add(await ParallelTrueMs(config, host, fanout, fastArgs)),
            async () => fanoutMs.Add(await FanOutMs(router, options, fanout)),
            async () => fanoutFastMs.Add(await FanOutMs(router, fast, fanout)),
        ];
        await RotateAsync(fanoutSteps, Math.Max(1, fanoutReps));

        double connectMedian = Stats.Median(connectMs);
        double trueMedian = Stats.Median(trueMs);
        var connect = new JsonObject
        {
            ["runs_ms"] = Runs(connectMs),
            ["ratio_to_ssh_true"] = Stats.Round(connectMedian / trueMedian, 2),
        };
        Stats.Figure(connect, "median_ms", connectMs);
        result["ssh_connect_first_call"] = connect;
        var connectFast = new JsonObject { ["kex"] = FastKex, ["runs_ms"] = Runs(connectFastMs), ["how"] = "SshOptions.SshArgs += -o KexAlgorithms=" + FastKex };
        Stats.Figure(connectFast, "median_ms", connectFastMs);
        result["ssh_connect_first_call_curve25519"] = connectFast;
        Stats.Ratio(result, "ssh_connect_over_ssh_true", connectMs, trueMs);
        Stats.Ratio(result, "ssh_connect_curve25519_over_ssh_true_curve25519", connectFastMs, trueFastMs);

        result["ssh"] = new JsonObject
        {
            ["call_rtt"] = Interleaved.CallRtt(rtt, calls, blocks),
            ["send_1mib_msgs"] = new JsonObject
            {
                ["mib_per_s"] = Stats.Round(pushMibS),
                ["mib"] = mib,
                ["ratio_to_ssh_pipe"] = RatioTo(pushMibS, pipeMibS),
            },
            ["file_push"] = new JsonObject
            {
                ["mib_per_s"] = Stats.Round(filePushMibS),
                ["mib"] = mib,
                ["ratio_to_ssh_pipe"] = RatioTo(filePushMibS, pipeMibS),
            },
            ["file_fetch"] = new JsonObject { ["mib_per_s"] = Stats.Round(fileFetchMibS), ["mib"] = mib },
        };
        Stats.Ratio(result, "ssh_rtt_over_echo", rtt.OursBlockMedians, rtt.EchoBlockMedians);

        // The ssh child's memory, keys as the peers' (bench/mitogen-bench.py): idle after connect and
        // the round trips, then idle after the 1 MiB messages and the file push + fetch of --mib MiB.
        result["child_idle_rss_kib"] = idle["rss"]!.DeepClone();
        result["child_idle_private_kib"] = idle["private"]!.DeepClone();
        result["child_after_files_rss_kib"] = afterFiles["rss"]!.DeepClone();
        result["child_after_files_private_kib"] = afterFiles["private"]!.DeepClone();
        result["child_mem_ssh_kib"] = new JsonObject
        {
            ["idle"] = idle,
            ["after_files"] = afterFiles,
            ["how"] = $"the ssh child, VmRSS and Private_Clean + Private_Dirty (smaps_rollup) once its readings stop falling: idle = after connect and {calls} round trips; after_files = then {mib} MiB of 1 MiB messages and a {mib} MiB file pushed and fetched",
        };

        var fan = new JsonObject { ["contexts"] = fanout, ["reps"] = fanoutReps, ["runs_ms"] = Runs(fanoutMs) };
        Stats.Figure(fan, "connect_and_call_median_ms", fanoutMs);
        fan["ratio_to_parallel_ssh_true"] = Stats.Round(Stats.Median(fanoutMs) / Stats.Median(parallelTrue), 2);
        result["ssh_fanout"] = fan;
        var fanFast = new JsonObject { ["contexts"] = fanout, ["kex"] = FastKex, ["runs_ms"] = Runs(fanoutFastMs) };
        Stats.Figure(fanFast, "connect_and_call_median_ms", fanoutFastMs);
        result["ssh_fanout_curve25519"] = fanFast;
        Stats.Ratio(result, "ssh_fanout_over_parallel_ssh_true", fanoutMs, parallelTrue);
        Stats.Ratio(result, "ssh_fanout_curve25519_over_parallel_ssh_true_curve25519", fanoutFastMs, parallelTrueFast);

        var floor = new JsonObject
        {
            ["ssh_true_runs_ms"] = Runs(trueMs),
            ["ssh_true_curve25519_runs_ms"] = Runs(trueFastMs),
            ["ssh_true_parallel_runs_ms"] = Runs(parallelTrue),
            ["ssh_true_parallel_curve25519_runs_ms"] = Runs(parallelTrueFast),
            ["ssh_pipe_mib_per_s"] = pipeMibS is { } pipe ? Stats.Round(pipe) : null,
            ["ssh_pipe_big_reader_mib_per_s"] = bigReaderPipeMibS is { } bigReader ? Stats.Round(bigReader) : null,
            ["ssh_pipe_big_reader_how"] = "the same bytes into `python3 -c` that first sets its stdin pipe to 1 MiB (F_SETPIPE_SZ), as an Econtext child does, then reads it to the end; its runs interleaved with those of the cat pipe; null if that failed (no python3 there)",
            ["ssh_echo_rtt_p99_us"] = Stats.Round(Stats.Percentile(rtt.Echo, 99)),
            ["kex_default"] = kex,
            ["kex_fast"] = FastKex,
            ["kex_how"] = "kex_default is what `ssh -v` reports with the bench's config; the *_curve25519 rows add -o KexAlgorithms=" + FastKex,
            ["own_session"] = NewSession.Available,
            ["own_session_how"] = "every floor process started by setsid, as Econtext starts its ssh child (one autogroup each, so a loaded machine shares its CPU alike); false: setsid missing",
            ["loadavg_before"] = loadBefore,
            ["loadavg_after"] = Stats.LoadAverage(),
        };
        Stats.Figure(floor, "ssh_true_ms", trueMs);
        Stats.Figure(floor, "ssh_true_curve25519_ms", trueFastMs);
        Stats.Figure(floor, "ssh_true_parallel_ms", parallelTrue);
        Stats.Figure(floor, "ssh_true_parallel_curve25519_ms", parallelTrueFast);
        Stats.Figure(floor, "ssh_echo_rtt_us", rtt.Echo);
        Stats.Figure(floor, "kex_cost_ms", trueMs.Zip(trueFastMs, (a, b) => a - b).ToList());
        Stats.Figure(floor, "kex_cost_parallel_ms", parallelTrue.Zip(parallelTrueFast, (a, b) => a - b).ToList());
        result["floor"] = floor;
    }

    /// <summary>Runs the steps <paramref name="reps"/> times, rep i starting at step i (mod their count).</summary>
    private static async Task RotateAsync(Func<Task>[] steps, int reps)
    {
        for (int rep = 0; rep < reps; rep++)
        {
            for (int k = 0; k < steps.Length; k++)
            {
                await steps[(rep + k) % steps.Length]();
            }
        }
    }

    private static async Task<double> ConnectMs(Router router, SshOptions options)
    {
        var watch = Stopwatch.StartNew();
        Context context = await router.SshAsync(options);
        await context.CallAsync(() => Workloads.Ping());
        double ms = watch.Elapsed.TotalMilliseconds;
        await context.ShutdownAsync();
        return ms;
    }

    private static JsonArray Runs(List<double> values) => new(values.Select(v => (JsonNode)Stats.Round(v)).ToArray());

    private static JsonNode? RatioTo(double mibS, double? pipeMibS) => pipeMibS is { } pipe ? Stats.Round(mibS / pipe, 2) : null;

    /// <summary>
    /// PushFileAsync of an incompressible file to the ssh context (same bytes as the pipe floor),
    /// destination in /tmp, then FetchFileAsync of it back: MiB/s each way.
    /// </summary>
    private static async Task<(double Push, double Fetch)> FilesMibS(Context ctx, byte[] chunk, int mib)
    {
        string source = Path.Combine(Path.GetTempPath(), $"econtext-bench-push-{Environment.ProcessId}.bin");
        string destination = source + ".copy";
        string back = source + ".back";
        await using (FileStream output = File.Create(source))
        {
            for (int i = 0; i < mib; i++)
            {
                await output.WriteAsync(chunk);
            }
        }

        try
        {
            var noSkip = new FileTransferOptions { SkipIfSame = false };
            FileTransferResult pushed = await ctx.PushFileAsync(source, destination, noSkip);
            FileTransferResult fetched = await ctx.FetchFileAsync(destination, back, noSkip);
            long size = (long)mib << 20;
            if (pushed.Bytes != size || new FileInfo(back).Length != size)
            {
                throw new InvalidOperationException($"the file push moved {pushed.Bytes} and the fetch {new FileInfo(back).Length} of {size} bytes");
            }

            return (pushed.Bytes / 1048576.0 / pushed.Elapsed.TotalSeconds, fetched.Bytes / 1048576.0 / fetched.Elapsed.TotalSeconds);
        }
        finally
        {
            File.Delete(source);
            File.Delete(destination);
            File.Delete(back);
        }
    }

    /// <summary>N ssh contexts started at once plus one call on each, ms until all have answered.</summary>
    private static async Task<double> FanOutMs(Router router, SshOptions options, int n)
    {
        var watch = Stopwatch.StartNew();
        Context[] contexts = await Task.WhenAll(Enumerable.Range(0, n).Select(i => router.SshAsync(options with { Name = "fan" + i })));
        int answered = 0;
        await foreach (ContextResult<int> one in contexts.CallEachAsync(() => Workloads.Ping()))
        {
            answered += one.Succeeded ? 1 : 0;
        }

        double fanout = watch.Elapsed.TotalMilliseconds;
        await Task.WhenAll(contexts.Select(c => c.ShutdownAsync()));
        return answered == n ? fanout : throw new InvalidOperationException($"{n - answered} of {n} contexts failed the fan-out call");
    }

    /// <summary>N `ssh host true` at once, ms until the last has ended.</summary>
    private static async Task<double> ParallelTrueMs(string config, string host, int n, string[] extra)
    {
        var floor = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, n).Select(_ => SshTrueMs(config, host, extra)));
        return floor.Elapsed.TotalMilliseconds;
    }

    private static async Task<double> SshTrueMs(string config, string host, string[]? extra = null)
    {
        var watch = Stopwatch.StartNew();
        using Process ssh = Start(config, host, "true", redirectInput: false, extra ?? []);
        await ssh.WaitForExitAsync();
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>The key exchange ssh negotiates with this config, from `ssh -v` ("kex: algorithm: ..."); null if not found.</summary>
    private static async Task<string?> NegotiatedKexAsync(string config, string host)
    {
        var start = new ProcessStartInfo("ssh") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in (string[])["-v", "-F", config, "-o", "BatchMode=yes", host, "true"])
        {
            start.ArgumentList.Add(argument);
        }

        using Process ssh = Process.Start(start)!;
        Task<string> stdout = ssh.StandardOutput.ReadToEndAsync();
        string err = await ssh.StandardError.ReadToEndAsync();
        await ssh.WaitForExitAsync();
        _ = await stdout;
        const string Mark = "kex: algorithm: ";
        return err.Split('\n').Select(l => l.IndexOf(Mark, StringComparison.Ordinal) is int at and >= 0 ? l[(at + Mark.Length)..].Trim() : null).FirstOrDefault(k => k is not null);
    }

    /// <summary>
    /// A reader at the far end that does what an Econtext child does with its stdin: enlarge the pipe
    /// from sshd to 1 MiB (F_SETPIPE_SZ is 1031 on Linux), then read. sshd writes at most a pipe's
    /// worth to its child per turn of its loop while it reads 256 KiB from the network, so behind
    /// `cat`'s 64 KiB pipe its buffer fills up to the channel window and sshd moves the whole buffer
    /// (memmove) each turn: `cat` is the slower floor for that reason alone (docs/performance.md).
    /// </summary>
    private const string BigPipeReader = "python3 -c 'import fcntl,os;fcntl.fcntl(0,1031,1<<20);[0 for _ in iter(lambda:os.read(0,1<<20),b\"\")]'";

    /// <summary>
    /// The plain OpenSSH pipe with the same ssh options: `ssh host 'cat >/dev/null' &lt; file`, as the
    /// peers' harness measures it, minus the median `ssh host true` (the connect), and the same for
    /// each other remote reader given, on one file of the same bytes, the readers' runs interleaved.
    /// At least 256 MiB and best of three: with 100 MiB the connect is half the time and the figure
    /// mostly noise. Null for a reader whose command failed.
    /// </summary>
    private static async Task<double?[]> SshPipeMibS(string config, string host, byte[] chunk, int mib, double connectMs, params string[] remoteCommands)
    {
        mib = Math.Max(mib, 256);
        string file = Path.Combine(Path.GetTempPath(), $"econtext-bench-{Environment.ProcessId}.bin");
        await using (FileStream output = File.Create(file))
        {
            for (int i = 0; i < mib; i++)
            {
                await output.WriteAsync(chunk);
            }
        }

        try
        {
            double?[] best = remoteCommands.Select(_ => (double?)0).ToArray();
            for (int run = 0; run < 3; run++)
            {
                for (int reader = 0; reader < remoteCommands.Length; reader++)
                {
                    if (best[reader] is not { } sofar)
                    {
                        continue;
                    }

                    ProcessStartInfo start = NewSession.Start("/bin/sh", [
                        "-c", "exec ssh -F \"$1\" -o BatchMode=yes -o Compression=no -T \"$2\" \"$4\" < \"$3\"", "sh", config, host, file, remoteCommands[reader]]);
                    var watch = Stopwatch.StartNew();
                    using Process ssh = Process.Start(start)!;
                    await ssh.WaitForExitAsync();
                    best[reader] = ssh.ExitCode != 0 ? null : Math.Max(sofar, mib / Math.Max(0.001, (watch.Elapsed.TotalMilliseconds - connectMs) / 1000));
                }
            }

            return best;
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Process Start(string config, string host, string command, bool redirectInput, string[] extra)
    {
        // The same options Econtext passes, so both sides pay for the same cipher and no compression.
        ProcessStartInfo start = NewSession.Start("ssh", ["-F", config, "-o", "BatchMode=yes", "-o", "Compression=no", .. extra, "-T", host, command]);
        start.RedirectStandardInput = redirectInput;
        start.RedirectStandardOutput = true;
        return Process.Start(start)!;
    }
}
