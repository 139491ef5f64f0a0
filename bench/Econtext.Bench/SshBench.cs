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
    public static async Task RunAsync(JsonObject result, string config, string host, int connects, int calls, int mib, int fanout)
    {
        await using var router = new Router();
        var options = new SshOptions { Host = host, SshArgs = ["-F", config] };

        // Warm this process (JIT, first ssh) before timing anything.
        Context warm = await router.SshAsync(options);
        await warm.CallAsync(() => Workloads.Ping());
        await warm.ShutdownAsync();
        _ = await SshTrueMs(config, host);

        var connectMs = new List<double>();
        var trueMs = new List<double>();
        for (int i = 0; i < connects; i++)
        {
            trueMs.Add(await SshTrueMs(config, host));
            var watch = Stopwatch.StartNew();
            Context context = await router.SshAsync(options);
            await context.CallAsync(() => Workloads.Ping());
            connectMs.Add(watch.Elapsed.TotalMilliseconds);
            await context.ShutdownAsync();
        }

        // The session alone (a remote `cat` echoing 64 bytes), right before the calls' round trips.
        List<double> echo = await EchoFloor.SshSamplesUsAsync(config, host, calls, warmup: 1000);
        Context ctx = await router.SshAsync(options);
        List<double> rtt = await RoundTrip.SamplesUsAsync(ctx, calls, warmup: 1000);

        byte[] chunk = new byte[1024 * 1024];
        Random.Shared.NextBytes(chunk);
        double?[] pipes = await SshPipeMibS(config, host, chunk, mib, Stats.Median(trueMs), "cat >/dev/null", BigPipeReader);
        double? pipeMibS = pipes[0];
        double? bigReaderPipeMibS = pipes[1];
        double pushMibS = await Throughput.StreamAsync(ctx, chunk, mib);
        double filePushMibS = await FilePushMibS(ctx, chunk, mib);
        await ctx.ShutdownAsync();

        (double fanoutMs, double parallelTrueMs) = await FanOutAsync(router, options, config, host, fanout);
        double connectMedian = Stats.Median(connectMs);
        double trueMedian = Stats.Median(trueMs);
        result["ssh_connect_first_call"] = new JsonObject
        {
            ["median_ms"] = Stats.Round(connectMedian),
            ["runs_ms"] = new JsonArray(connectMs.Select(v => (JsonNode)Stats.Round(v)).ToArray()),
            ["ratio_to_ssh_true"] = Stats.Round(connectMedian / trueMedian, 2),
        };
        result["ssh"] = new JsonObject
        {
            ["call_rtt"] = new JsonObject
            {
                ["median_us"] = Stats.Round(Stats.Median(rtt)),
                ["p90_us"] = Stats.Round(Stats.Percentile(rtt, 90)),
                ["p99_us"] = Stats.Round(Stats.Percentile(rtt, 99)),
                ["n"] = calls,
            },
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
        };
        result["ssh_fanout"] = new JsonObject
        {
            ["contexts"] = fanout,
            ["connect_and_call_median_ms"] = Stats.Round(fanoutMs),
            ["ratio_to_parallel_ssh_true"] = Stats.Round(fanoutMs / parallelTrueMs, 2),
        };
        result["floor"] = new JsonObject
        {
            ["ssh_true_parallel_ms"] = Stats.Round(parallelTrueMs),
            ["ssh_true_ms"] = Stats.Round(trueMedian),
            ["ssh_true_runs_ms"] = new JsonArray(trueMs.Select(v => (JsonNode)Stats.Round(v)).ToArray()),
            ["ssh_pipe_mib_per_s"] = pipeMibS is { } pipe ? Stats.Round(pipe) : null,
            ["ssh_pipe_big_reader_mib_per_s"] = bigReaderPipeMibS is { } bigReader ? Stats.Round(bigReader) : null,
            ["ssh_pipe_big_reader_how"] = "the same bytes into `python3 -c` that first sets its stdin pipe to 1 MiB (F_SETPIPE_SZ), as an Econtext child does, then reads it to the end; its runs interleaved with those of the cat pipe; null if that failed (no python3 there)",
            ["ssh_echo_rtt_us"] = Stats.Round(Stats.Median(echo)),
            ["ssh_echo_rtt_p99_us"] = Stats.Round(Stats.Percentile(echo, 99)),
        };
    }

    private static JsonNode? RatioTo(double mibS, double? pipeMibS) => pipeMibS is { } pipe ? Stats.Round(mibS / pipe, 2) : null;

    /// <summary>PushFileAsync of an incompressible file to the ssh context (same bytes as the pipe floor), destination in /tmp.</summary>
    private static async Task<double> FilePushMibS(Context ctx, byte[] chunk, int mib)
    {
        string source = Path.Combine(Path.GetTempPath(), $"econtext-bench-push-{Environment.ProcessId}.bin");
        string destination = source + ".copy";
        await using (FileStream output = File.Create(source))
        {
            for (int i = 0; i < mib; i++)
            {
                await output.WriteAsync(chunk);
            }
        }

        try
        {
            FileTransferResult result = await ctx.PushFileAsync(source, destination, new FileTransferOptions { SkipIfSame = false });
            return result.Bytes / 1048576.0 / result.Elapsed.TotalSeconds;
        }
        finally
        {
            File.Delete(source);
            File.Delete(destination);
        }
    }

    /// <summary>N ssh contexts started at once plus one call on each, against N parallel `ssh host true`.</summary>
    private static async Task<(double FanoutMs, double ParallelTrueMs)> FanOutAsync(Router router, SshOptions options, string config, string host, int n)
    {
        var floor = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, n).Select(_ => SshTrueMs(config, host)));
        double parallelTrue = floor.Elapsed.TotalMilliseconds;

        var watch = Stopwatch.StartNew();
        Context[] contexts = await Task.WhenAll(Enumerable.Range(0, n).Select(i => router.SshAsync(options with { Name = "fan" + i })));
        int answered = 0;
        await foreach (ContextResult<int> one in contexts.CallEachAsync(() => Workloads.Ping()))
        {
            answered += one.Succeeded ? 1 : 0;
        }

        double fanout = watch.Elapsed.TotalMilliseconds;
        await Task.WhenAll(contexts.Select(c => c.ShutdownAsync()));
        return answered == n ? (fanout, parallelTrue) : throw new InvalidOperationException($"{n - answered} of {n} contexts failed the fan-out call");
    }

    private static async Task<double> SshTrueMs(string config, string host)
    {
        var watch = Stopwatch.StartNew();
        using Process ssh = Start(config, host, "true", redirectInput: false);
        await ssh.WaitForExitAsync();
        return watch.Elapsed.TotalMilliseconds;
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

                    var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
                    start.ArgumentList.Add("-c");
                    start.ArgumentList.Add("exec ssh -F \"$1\" -o BatchMode=yes -o Compression=no -T \"$2\" \"$4\" < \"$3\"");
                    start.ArgumentList.Add("sh");
                    start.ArgumentList.Add(config);
                    start.ArgumentList.Add(host);
                    start.ArgumentList.Add(file);
                    start.ArgumentList.Add(remoteCommands[reader]);
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

    private static Process Start(string config, string host, string command, bool redirectInput)
    {
        var start = new ProcessStartInfo("ssh")
        {
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };

        // The same options Econtext passes, so both sides pay for the same cipher and no compression.
        foreach (string argument in (string[])["-F", config, "-o", "BatchMode=yes", "-o", "Compression=no", "-T", host, command])
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }
}
