using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Econtext.Bench;

/// <summary>
/// Files over ssh beside the OpenSSH tools, all through the same sshd with the same ssh config,
/// cipher and compression (issue 5): one large incompressible file pushed and fetched by Econtext,
/// `ssh host 'cat &gt;/dev/null' &lt; file` (and `ssh host 'cat file' &gt;/dev/null` back), the same
/// pipes writing the file (`cat &gt;file`), and `scp`;
/// then a tree of small files pushed by Econtext, `scp -r` and `rsync -a`, and pushed again unchanged.
/// Destinations are made and removed through the context, so the host need not be this machine.
/// </summary>
internal static class FileBench
{
    private const int Seed = 20261126;

    public static async Task<JsonObject> RunAsync(string config, string host, int fileMib, int fileReps, int treeFiles, int treeReps, string? cipher)
    {
        cipher ??= await NegotiatedCipherAsync(config, host);

        // What every tool gets: the harness's config, the cipher ssh picks anyway (forced, so none can
        // differ), no compression (Econtext passes Compression=no itself), no prompts.
        var ssh = new List<string> { "-F", config, "-o", "Compression=no", "-o", "BatchMode=yes" };
        if (cipher is not null)
        {
            ssh.AddRange(["-c", cipher]);
        }

        var files = new JsonObject
        {
            ["cipher"] = cipher,
            ["ssh_args"] = string.Join(' ', ssh),
            ["loadavg_before"] = Stats.LoadAverage(),
        };

        await using var router = new Router();
        var options = new SshOptions { Host = host, SshArgs = cipher is null ? ["-F", config] : ["-F", config, "-c", cipher] };
        Context ctx = await router.SshAsync(options with { Name = "files" });
        string local = Directory.CreateTempSubdirectory("econtext-bench-files-").FullName;
        string remote = await ctx.CallAsync(() => Workloads.MakeTempDirectory("econtext-bench-files-remote-"));
        try
        {
            var trueMs = new List<double>();
            for (int i = 0; i < 5; i++)
            {
                trueMs.Add((await RunAsync("ssh", [.. ssh, host, "true"])).Ms);
            }

            double connectMs = Stats.Median(trueMs);
            files["ssh_true_ms"] = Stats.Round(connectMs);

            // The child idle before any copy ran (issue 22: idle after the big file at most 1.2 times this).
            JsonObject idleBefore = await ChildMemory.IdleAsync(ctx);

            // Warm the copy code in both processes (JIT, assembly push) before timing anything.
            string warm = Path.Combine(local, "warm.bin");
            WriteRandom(warm, 4L << 20, Seed - 1);
            await ctx.PushFileAsync(warm, remote + "/warm.bin", new FileTransferOptions { SkipIfSame = false });
            await ctx.FetchFileAsync(remote + "/warm.bin", warm + ".back", new FileTransferOptions { SkipIfSame = false });
            await ctx.PushFileAsync(warm, remote + "/warm.bin", new FileTransferOptions { SkipIfSame = true });

            if (fileMib > 0)
            {
                // Idle again after the 4 MiB warm-up copies (the copy code loaded) and after the big
                // file's pushes and fetches, the same process as idleBefore.
                JsonObject afterWarm = await ChildMemory.IdleAsync(ctx);
                JsonObject big = await BigFileAsync(ctx, ssh, host, local, remote, fileMib, Math.Max(1, fileReps), connectMs);
                files["big_file"] = big;
                if (big["skipped"] is null)
                {
                    JsonObject after = await ChildMemory.IdleAsync(ctx);
                    files["child_idle_big_file_kib"] = new JsonObject
                    {
                        ["before"] = idleBefore,
                        ["after_warmup"] = afterWarm,
                        ["after"] = after,
                        ["transferred_mib"] = 2L * fileMib * Math.Max(1, fileReps),
                        ["how"] = "the files context's child, idle (readings stopped falling) after connect and before any copy; after the 4 MiB warm-up copies; after every push and fetch of the big file",
                        ["rss_after_over_before"] = Stats.Round(after["rss"]!.GetValue<long>() / (double)idleBefore["rss"]!.GetValue<long>(), 2),
                        ["private_after_over_before"] = Stats.Round(after["private"]!.GetValue<long>() / (double)idleBefore["private"]!.GetValue<long>(), 2),
                        ["private_after_over_after_warmup"] = Stats.Round(after["private"]!.GetValue<long>() / (double)afterWarm["private"]!.GetValue<long>(), 2),
                    };
                }
            }

            if (treeFiles > 0)
            {
                files["small_files"] = await SmallFilesAsync(ctx, ssh, host, local, remote, treeFiles, Math.Max(1, treeReps));
            }
        }
        finally
        {
            files["loadavg_after"] = Stats.LoadAverage();
            await ctx.CallAsync(() => Workloads.DeleteTree(remote));
            Directory.Delete(local, recursive: true);
            await ctx.ShutdownAsync();
        }

        return files;
    }

    /// <summary>
    /// One file of <paramref name="mib"/> MiB, each way. The OpenSSH figures have the median `ssh true`
    /// taken off (their connect), as the pipe floor elsewhere in the bench does: Econtext's context is
    /// already up. Best of <paramref name="reps"/> for each, interleaved so load hits all alike.
    /// </summary>
    private static async Task<JsonObject> BigFileAsync(Context ctx, List<string> ssh, string host, string local, string remote, int mib, int reps, double connectMs)
    {
        long size = (long)mib << 20;
        long free = new DriveInfo(local).AvailableFreeSpace;
        if (free < 3 * size + (1L << 30))
        {
            // Source, remote copy and fetched copy may all exist at once (on loopback, on one disk).
            return new JsonObject { ["mib"] = mib, ["skipped"] = $"{free >> 20} MiB free in {local}; need {(3 * size + (1L << 30)) >> 20}" };
        }

        string source = Path.Combine(local, "big.bin");
        string fetched = Path.Combine(local, "big.fetched");
        string pushed = remote + "/big.bin";
        string scpPushed = remote + "/big.scp";
        string catPushed = remote + "/big.cat";
        WriteRandom(source, size, Seed);

        var pipe = new List<double>();
        var pipeBack = new List<double>();
        var pipeFile = new List<double>();
        var pipeBackFile = new List<double>();
        var push = new List<double>();
        var fetch = new List<double>();
        var scp = new List<double>();
        var scpBack = new List<double>();
        JsonObject? pushMemory = null;
        JsonObject? fetchMemory = null;
        var noSkip = new FileTransferOptions { SkipIfSame = false };
        for (int rep = 0; rep < reps; rep++)
        {
            pipe.Add(MibS(mib, (await RunAsync("ssh", [.. ssh, "-T", host, "cat >/dev/null"], stdinFrom: source)).Ms - connectMs));

            // The same pipe writing the file (what a copy must do, and what the /dev/null floor leaves out).
            pipeFile.Add(MibS(mib, (await RunAsync("ssh", [.. ssh, "-T", host, "cat >" + catPushed], stdinFrom: source)).Ms - connectMs));
            await ExpectAsync(ctx, catPushed, 1, size, "ssh cat >file");
            await ctx.CallAsync(() => Workloads.DeleteTree(catPushed));

            (long childBase, long masterBase) = await ResetPeaksAsync(ctx);
            var watch = Stopwatch.StartNew();
            FileTransferResult pushedResult = await ctx.PushFileAsync(source, pushed, noSkip);
            push.Add(MibS(mib, watch.Elapsed.TotalMilliseconds));
            await ExpectAsync(ctx, pushed, 1, size, "PushFileAsync");
            if (pushedResult.Bytes != size)
            {
                throw new InvalidOperationException($"PushFileAsync reported {pushedResult.Bytes} bytes, not {size}");
            }

            pushMemory ??= await PeaksAsync(ctx, childBase, masterBase);

            pipeBack.Add(MibS(mib, (await RunAsync("ssh", [.. ssh, "-T", host, "cat " + pushed])).Ms - connectMs));
            pipeBackFile.Add(MibS(mib, (await RunAsync("ssh", [.. ssh, "-T", host, "cat " + pushed], stdoutTo: fetched)).Ms - connectMs));
            Expect(fetched, size, "ssh cat file >file");
            File.Delete(fetched);

            (childBase, masterBase) = await ResetPeaksAsync(ctx);
            watch.Restart();
            await ctx.FetchFileAsync(pushed, fetched, noSkip);
            fetch.Add(MibS(mib, watch.Elapsed.TotalMilliseconds));
            fetchMemory ??= await PeaksAsync(ctx, childBase, masterBase);
            Expect(fetched, size, "FetchFileAsync");
            File.Delete(fetched);
            await ctx.CallAsync(() => Workloads.DeleteTree(pushed));

            scp.Add(MibS(mib, (await RunAsync("scp", ["-q", .. ssh, source, host + ":" + scpPushed])).Ms - connectMs));
            await ExpectAsync(ctx, scpPushed, 1, size, "scp");
            scpBack.Add(MibS(mib, (await RunAsync("scp", ["-q", .. ssh, host + ":" + scpPushed, fetched])).Ms - connectMs));
            Expect(fetched, size, "scp (fetch)");
            File.Delete(fetched);
            await ctx.CallAsync(() => Workloads.DeleteTree(scpPushed));
        }

        File.Delete(source);
        double bestPipe = pipe.Max();
        double bestPipeBack = pipeBack.Max();
        return new JsonObject
        {
            ["mib"] = mib,
            ["reps"] = reps,
            ["how"] = "best of reps; OpenSSH figures are wall time minus the median `ssh true`; scp is OpenSSH's (SFTP protocol since 9.0)",
            ["econtext_push_mib_per_s"] = Stats.Round(push.Max()),
            ["econtext_fetch_mib_per_s"] = Stats.Round(fetch.Max()),
            ["ssh_pipe_mib_per_s"] = Stats.Round(bestPipe),
            ["ssh_pipe_back_mib_per_s"] = Stats.Round(bestPipeBack),
            ["ssh_pipe_to_file_mib_per_s"] = Stats.Round(pipeFile.Max()),
            ["ssh_pipe_back_to_file_mib_per_s"] = Stats.Round(pipeBackFile.Max()),
            ["ratio_push_to_pipe_to_file"] = Stats.Round(push.Max() / pipeFile.Max(), 2),
            ["ratio_fetch_to_pipe_back_to_file"] = Stats.Round(fetch.Max() / pipeBackFile.Max(), 2),
            ["scp_push_mib_per_s"] = Stats.Round(scp.Max()),
            ["scp_fetch_mib_per_s"] = Stats.Round(scpBack.Max()),
            ["ratio_push_to_pipe"] = Stats.Round(push.Max() / bestPipe, 2),
            ["ratio_fetch_to_pipe_back"] = Stats.Round(fetch.Max() / bestPipeBack, 2),
            ["ratio_scp_push_to_pipe"] = Stats.Round(scp.Max() / bestPipe, 2),
            ["ratio_scp_fetch_to_pipe_back"] = Stats.Round(scpBack.Max() / bestPipeBack, 2),
            ["runs"] = new JsonObject
            {
                ["econtext_push"] = Runs(push),
                ["econtext_fetch"] = Runs(fetch),
                ["ssh_pipe"] = Runs(pipe),
                ["ssh_pipe_back"] = Runs(pipeBack),
                ["ssh_pipe_to_file"] = Runs(pipeFile),
                ["ssh_pipe_back_to_file"] = Runs(pipeBackFile),
                ["scp_push"] = Runs(scp),
                ["scp_fetch"] = Runs(scpBack),
            },
            ["push_memory_kib"] = pushMemory,
            ["fetch_memory_kib"] = fetchMemory,
        };
    }

    /// <summary>
    /// A tree of <paramref name="count"/> files of 1–8 KiB (fixed seed) in a few folders: pushed to a
    /// fresh destination by each tool, best of <paramref name="reps"/>; then pushed again unchanged.
    /// Tool times are wall times including their ssh connect (see ssh_true_ms); Econtext's context is up.
    /// </summary>
    private static async Task<JsonObject> SmallFilesAsync(Context ctx, List<string> ssh, string host, string local, string remote, int count, int reps)
    {
        string tree = Path.Combine(local, "tree");
        long bytes = WriteTree(tree, count);
        bool haveRsync = File.Exists("/usr/bin/rsync") || File.Exists("/bin/rsync");
        string rsh = "ssh " + string.Join(' ', ssh.Select(Quote));
        var push = new List<double>();
        var again = new List<double>();
        var scp = new List<double>();
        var rsync = new List<double>();
        var rsyncAgain = new List<double>();
        var rsyncChecksum = new List<double>();
        for (int rep = 0; rep < reps; rep++)
        {
            string ec = $"{remote}/tree-econtext-{rep}";
            var watch = Stopwatch.StartNew();
            DirectoryTransferResult first = await ctx.PushDirectoryAsync(tree, ec, new FileTransferOptions { SkipIfSame = false });
            push.Add(watch.Elapsed.TotalSeconds);
            if (first.FilesCopied != count)
            {
                throw new InvalidOperationException($"PushDirectoryAsync copied {first.FilesCopied} of {count} files");
            }

            await ExpectAsync(ctx, ec, count, bytes, "PushDirectoryAsync");

            string viaScp = $"{remote}/tree-scp-{rep}";
            scp.Add((await RunAsync("scp", ["-q", "-r", .. ssh, tree, host + ":" + viaScp])).Ms / 1000);
            await ExpectAsync(ctx, viaScp, count, bytes, "scp -r");

            string viaRsync = $"{remote}/tree-rsync-{rep}";
            if (haveRsync)
            {
                rsync.Add((await RunAsync("rsync", ["-a", "-e", rsh, tree + "/", host + ":" + viaRsync + "/"])).Ms / 1000);
                await ExpectAsync(ctx, viaRsync, count, bytes, "rsync -a");
            }

            // Nothing changed: Econtext compares size and SHA-256; rsync size and time (and with -c, a checksum).
            watch.Restart();
            DirectoryTransferResult second = await ctx.PushDirectoryAsync(tree, ec, new FileTransferOptions { SkipIfSame = true });
            again.Add(watch.Elapsed.TotalSeconds);
            if (second.FilesSkipped != count)
            {
                throw new InvalidOperationException($"the second PushDirectoryAsync skipped {second.FilesSkipped} of {count} unchanged files");
            }

            if (haveRsync)
            {
                rsyncAgain.Add((await RunAsync("rsync", ["-a", "-e", rsh, tree + "/", host + ":" + viaRsync + "/"])).Ms / 1000);
                rsyncChecksum.Add((await RunAsync("rsync", ["-a", "-c", "-e", rsh, tree + "/", host + ":" + viaRsync + "/"])).Ms / 1000);
            }

            await ctx.CallAsync(() => Workloads.DeleteTree(ec));
            await ctx.CallAsync(() => Workloads.DeleteTree(viaScp));
            await ctx.CallAsync(() => Workloads.DeleteTree(viaRsync));
        }

        Directory.Delete(tree, recursive: true);
        return new JsonObject
        {
            ["files"] = count,
            ["bytes"] = bytes,
            ["reps"] = reps,
            ["how"] = "best of reps, fresh destination each; OpenSSH tools' wall time includes their ssh connect (ssh_true_ms), Econtext's context is already connected",
            ["econtext_push_s"] = Best(push),
            ["scp_r_s"] = Best(scp),
            ["rsync_a_s"] = haveRsync ? Best(rsync) : null,
            ["econtext_push_unchanged_s"] = Best(again),
            ["rsync_a_unchanged_s"] = haveRsync ? Best(rsyncAgain) : null,
            ["rsync_ac_unchanged_s"] = haveRsync ? Best(rsyncChecksum) : null,
            ["rsync"] = haveRsync ? "/usr/bin/rsync" : "not installed",
            ["runs_s"] = new JsonObject
            {
                ["econtext_push"] = Runs(push, 3),
                ["scp_r"] = Runs(scp, 3),
                ["rsync_a"] = Runs(rsync, 3),
                ["econtext_push_unchanged"] = Runs(again, 3),
                ["rsync_a_unchanged"] = Runs(rsyncAgain, 3),
                ["rsync_ac_unchanged"] = Runs(rsyncChecksum, 3),
            },
        };
    }

    /// <summary>Peaks reset in both processes just before a transfer; the RSS each had then.</summary>
    private static async Task<(long Child, long Master)> ResetPeaksAsync(Context ctx)
    {
        long child = await ctx.CallAsync(() => Workloads.ResetPeakRss());
        return (child, Workloads.ResetPeakRss());
    }

    private static async Task<JsonObject> PeaksAsync(Context ctx, long childBase, long masterBase) => new()
    {
        ["child_peak"] = await ctx.CallAsync(() => Workloads.PeakRssKib()),
        ["child_before"] = childBase,
        ["master_peak"] = Workloads.PeakRssKib(),
        ["master_before"] = masterBase,
        ["peaks_reset"] = childBase >= 0 && masterBase >= 0,
    };

    private static async Task ExpectAsync(Context ctx, string path, long count, long bytes, string who)
    {
        long[] got = await ctx.CallAsync(() => Workloads.CountFiles(path));
        if (got[0] != count || got[1] != bytes)
        {
            throw new InvalidOperationException($"{who}: {path} has {got[0]} files, {got[1]} bytes; expected {count}, {bytes}");
        }
    }

    private static void Expect(string path, long size, string who)
    {
        long got = File.Exists(path) ? new FileInfo(path).Length : -1;
        if (got != size)
        {
            throw new InvalidOperationException($"{who}: {path} has {got} bytes; expected {size}");
        }
    }

    /// <summary>What ssh negotiates with this config, from `ssh -v` ("kex: server->client cipher: ...").</summary>
    private static async Task<string?> NegotiatedCipherAsync(string config, string host)
    {
        (_, int exit, string err) = await RunAsync("ssh", ["-v", "-F", config, "-o", "BatchMode=yes", "-o", "Compression=no", host, "true"]);
        foreach (string line in err.Split('\n'))
        {
            int at = line.IndexOf(" cipher: ", StringComparison.Ordinal);
            if (at >= 0)
            {
                return line[(at + " cipher: ".Length)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            }
        }

        Console.Error.WriteLine($"bench: could not find the negotiated cipher in `ssh -v` (exit {exit}); the tools use their defaults");
        return null;
    }

    /// <summary>Runs a program with stdin and stdout on files (default /dev/null); throws with its stderr if it fails.</summary>
    private static async Task<(double Ms, int Exit, string Stderr)> RunAsync(string program, List<string> args, string stdinFrom = "/dev/null", string stdoutTo = "/dev/null")
    {
        // In a session of its own, as Econtext's ssh child (NewSession.cs: one scheduling group each).
        ProcessStartInfo start = NewSession.Start("/bin/sh", ["-c", "in=$1; out=$2; shift 2; exec \"$@\" <\"$in\" >\"$out\"", "sh", stdinFrom, stdoutTo, program, .. args]);
        start.RedirectStandardError = true;
        start.RedirectStandardOutput = true;

        var watch = Stopwatch.StartNew();
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        double ms = watch.Elapsed.TotalMilliseconds;
        string err = await stderr;
        _ = await stdout;
        if (process.ExitCode != 0 && !args.Contains("-v"))
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {err.Trim()}");
        }

        return (ms, process.ExitCode, err);
    }

    /// <summary>Incompressible bytes from a fixed seed, written 1 MiB at a time (never the whole file in memory).</summary>
    private static void WriteRandom(string path, long size, int seed)
    {
        var random = new Random(seed);
        byte[] buffer = new byte[1 << 20];
        using FileStream output = File.Create(path);
        for (long left = size; left > 0; left -= buffer.Length)
        {
            random.NextBytes(buffer);
            output.Write(buffer, 0, (int)Math.Min(buffer.Length, left));
        }
    }

    /// <summary>
    /// <paramref name="count"/> files of 1–8 KiB from a fixed seed: 8 folders, each with 2 subfolders,
    /// files spread over the 24 of them. Returns the total bytes.
    /// </summary>
    private static long WriteTree(string root, int count)
    {
        var random = new Random(Seed);
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            string folder = Path.Combine(root, $"d{i % 8}", (i / 8 % 3) switch { 0 => "", 1 => "s0", _ => "s1" });
            Directory.CreateDirectory(folder);
            byte[] data = new byte[random.Next(1024, 8192 + 1)];
            random.NextBytes(data);
            File.WriteAllBytes(Path.Combine(folder, $"f{i:D5}.bin"), data);
            total += data.Length;
        }

        return total;
    }

    private static double MibS(int mib, double ms) => mib / Math.Max(0.001, ms / 1000);

    private static double Best(List<double> seconds) => Stats.Round(seconds.Min(), 3);

    private static JsonArray Runs(List<double> values, int digits = 1) => new(values.Select(v => (JsonNode)Stats.Round(v, digits)).ToArray());

    private static string Quote(string s) => s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=@+:,".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
