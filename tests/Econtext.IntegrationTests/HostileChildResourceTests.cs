using System.Diagnostics;

namespace Econtext.IntegrationTests;

/// <summary>
/// What a hostile child can make the master hold or wait for (issue 17, item 4): replies it never
/// reads, a line that never ends, a shared FIFO that would keep the master's threads in open(2).
/// Each test plays the child for real and then looks at what the master holds.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class HostileChildResourceTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly string _dir = Path.GetFullPath(Directory.CreateTempSubdirectory("econtext-hostile-").FullName);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact(Timeout = 90000)]
    public async Task A_fifo_in_a_shared_directory_is_refused_at_once_and_holds_no_master_thread()
    {
        await using var router = new Router();
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "fifo-reader" }).WaitAsync(Bound);
        string shared = Directory.CreateDirectory(Path.Combine(_dir, "shared")).FullName;
        string fifo = Path.Combine(shared, "pipe");
        MakeFifo(fifo);
        string plain = Path.Combine(shared, "plain.txt");
        File.WriteAllText(plain, "plain");
        using IDisposable share = ctx.ShareFiles(shared);

        // Nobody ever writes to the FIFO: opening it to read would wait forever.
        string one = await ctx.CallAsync(() => MasterFiles.TryFetch(fifo)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("failed: ", one, StringComparison.Ordinal);
        Assert.Contains(fifo, one, StringComparison.Ordinal);
        Assert.Contains("not a regular file", one, StringComparison.Ordinal);

        // Many at once, each of which held a master pool thread before; meanwhile the master's pool
        // and the context still answer at once.
        Task<string[]> many = ctx.CallAsync(() => MasterFiles.TryFetchMany(fifo, 64));
        var probe = Stopwatch.StartNew();
        await Task.Run(() => 0).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(3, await ctx.CallAsync(() => Echo.Add(1, 2)).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.StartsWith("ok ", await ctx.CallAsync(() => MasterFiles.TryFetch(plain)).WaitAsync(TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
        probe.Stop();

        string[] answers = await many.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(answers, a => Assert.Contains("not a regular file", a, StringComparison.Ordinal));

        // What is left: no descriptor of the master's on the FIFO.
        Assert.DoesNotContain(Directory.GetFiles("/proc/self/fd"), fd => new FileInfo(fd).LinkTarget == fifo);
        Assert.True(probe.Elapsed < TimeSpan.FromSeconds(10), $"an ordinary call took {probe.Elapsed.TotalSeconds:0.0} s while the FIFO was asked for");
    }

    [Fact(Timeout = 120000)]
    public async Task A_line_of_32_MiB_without_a_line_end_arrives_in_capped_pieces_and_the_master_stays_small()
    {
        const int Sent = 32 * 1024 * 1024;
        const int Cap = 64 * 1024;
        string marker = "end of the long line " + Guid.NewGuid();
        var output = new LineLengthRecorder("endless.stdout", marker);
        await using var router = new Router(new RouterOptions { LoggerFactory = output });
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "endless" }).WaitAsync(Bound);
        Assert.Equal(3, await ctx.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
        long before = GC.GetTotalMemory(forceFullCollection: true);

        await ctx.CallAsync(() => Output.Unterminated(Sent, marker)).WaitAsync(Bound);
        await output.Ended.WaitAsync(Bound);

        // The context is still there: whatever the master kept for it is still held.
        long grown = GC.GetTotalMemory(forceFullCollection: true) - before;
        IReadOnlyList<int> lengths = output.Lengths;
        IReadOnlyList<string> tails = output.Tails;
        Assert.True(grown < 8 * 1024 * 1024, $"the master holds {grown / 1048576.0:0.0} MB more after a {Sent / 1048576} MiB line");
        Assert.True(lengths.Max() <= Cap + 100, $"a record of {lengths.Max()} characters arrived; lines are cut at {Cap} bytes");
        Assert.Equal(Sent / Cap, lengths.Count);

        // Every piece but the last says it was cut; together they are the whole line.
        Assert.All(tails.Take(lengths.Count - 1), t => Assert.EndsWith(RemoteOutputMarker, t, StringComparison.Ordinal));
        Assert.DoesNotContain(RemoteOutputMarker, tails[^1], StringComparison.Ordinal);
        Assert.Equal(Sent, lengths.Sum() - ((lengths.Count - 1) * RemoteOutputMarker.Length));
    }

    /// <summary>What the master appends to a piece of a line it had to cut.</summary>
    private static string RemoteOutputMarker => " [line cut at 64 KiB; continued in the next record]";

    private static void MakeFifo(string path)
    {
        using Process mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
