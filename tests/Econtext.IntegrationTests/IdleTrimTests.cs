using System.Globalization;

namespace Econtext.IntegrationTests;

/// <summary>
/// A child that moved a large file gives the memory back once idle (issue 22: idle after the
/// transfers ≤ 1.2 × its idle size before them). Private memory is what only the child holds:
/// /proc/PID/smaps_rollup's Private_Clean + Private_Dirty, read from here (same machine).
/// </summary>
public sealed class IdleTrimTests : IDisposable
{
    private const long LargeLength = 256L << 20;
    private const long WarmLength = 16L << 20;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static readonly FileTransferOptions NoSkip = new() { SkipIfSame = false };
    private readonly string _dir = Directory.CreateTempSubdirectory("econtext-idle-trim-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact(Timeout = 240000)]
    public async Task After_256_MiB_pushed_and_fetched_an_idle_child_is_back_within_1_2_times_its_idle_size_before()
    {
        string local = Directory.CreateDirectory(Path.Combine(_dir, "local")).FullName;
        string remote = Directory.CreateDirectory(Path.Combine(_dir, "remote")).FullName;
        string warm = TestFiles.Write(Path.Combine(local, "warm.bin"), WarmLength, seed: 2201);
        string large = TestFiles.Write(Path.Combine(local, "large.bin"), LargeLength, seed: 2202);

        int pid;
        await using (var router = new Router())
        {
            Context ctx = await router.LocalAsync(new LocalOptions { Name = "idle-trim" }).WaitAsync(Bound);
            pid = ctx.RemoteProcessId;

            // The copy code's first run (what it compiles and loads) stays for the process's life,
            // so "before" is a child that has copied once, then trimmed.
            await ctx.PushFileAsync(warm, Path.Combine(remote, "warm.bin"), NoSkip).WaitAsync(Bound);
            await ctx.FetchFileAsync(Path.Combine(remote, "warm.bin"), Path.Combine(local, "warm.back"), NoSkip).WaitAsync(Bound);
            long trimsBefore = await WaitForTrimAsync(ctx, after: 0);
            long idleBefore = PrivateKib(pid);

            await ctx.PushFileAsync(large, Path.Combine(remote, "large.bin"), NoSkip).WaitAsync(Bound);
            await ctx.FetchFileAsync(Path.Combine(remote, "large.bin"), Path.Combine(local, "large.back"), NoSkip).WaitAsync(Bound);
            long busy = PrivateKib(pid);
            Assert.Equal(TestFiles.Sha256(large), TestFiles.Sha256(Path.Combine(local, "large.back")));

            // No call now (a call would put the trim off): read the child's memory until it is back
            // within the bound, or the bound on the wait ends.
            long limit = idleBefore * 12 / 10;

            // Else this test would prove nothing: a child that never trimmed holds the warm copy's
            // pools in "before" already, and the large copy adds nothing beyond the bound.
            Assert.True(busy > limit, $"the transfers left the child at {busy} KiB private, within the bound ({limit} KiB = 1.2 x {idleBefore} KiB idle before them) before any trim: was the warm copy's memory not given back?");
            long idleAfter = busy;
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while ((idleAfter = PrivateKib(pid)) > limit && waited.Elapsed < Bound)
            {
                await Task.Delay(100);
            }

            long trims = await ctx.CallAsync(() => IdleProbe.TrimsSoFar()).WaitAsync(Bound);
            Assert.True(idleAfter <= limit,
                $"the child's private memory was {idleBefore} KiB idle before the transfers, {busy} KiB right after them, and still {idleAfter} KiB {waited.Elapsed.TotalSeconds:F0} s later (bound {limit} KiB); trims run: {trims}");
            Assert.True(trims > trimsBefore, $"the memory fell without a trim ({trims} run, {trimsBefore} before the transfers)");
            await ctx.ShutdownAsync().WaitAsync(Bound);
        }

        Assert.False(Processes.IsRunning(pid), $"the child {pid} outlived its router");
    }

    /// <summary>Asks the child, a quiet spell apart, until it has run more than <paramref name="after"/> trims.</summary>
    private static async Task<long> WaitForTrimAsync(Context ctx, long after)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            long trims = await ctx.CallAsync(() => IdleProbe.TrimsSoFar()).WaitAsync(Bound);
            if (trims > after)
            {
                return trims;
            }

            Assert.True(waited.Elapsed < Bound, $"the child ran no idle trim within {Bound.TotalSeconds} s of its last copy");

            // Each question is a call, which puts the trim off by its delay: leave it two.
            await Task.Delay(Econtext.Calls.IdleTrim.DefaultDelay * 2);
        }
    }

    /// <summary>Private_Clean + Private_Dirty of a process on this machine, in KiB.</summary>
    private static long PrivateKib(int pid)
    {
        long total = 0;
        foreach (string line in File.ReadLines("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/smaps_rollup"))
        {
            if (line.StartsWith("Private_Clean:", StringComparison.Ordinal) || line.StartsWith("Private_Dirty:", StringComparison.Ordinal))
            {
                total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        return total;
    }
}
