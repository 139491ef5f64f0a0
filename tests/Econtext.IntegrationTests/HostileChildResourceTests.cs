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
    public async Task A_child_that_asks_for_assemblies_and_never_reads_makes_the_master_hold_a_bounded_amount()
    {
        const int Requests = 100;
        const long Held = 8 * 1024 * 1024;
        await using var router = new Router();
        Context greedy = await router.LocalAsync(new LocalOptions { Name = "greedy" }).WaitAsync(Bound);
        Context honest = await router.LocalAsync(new LocalOptions { Name = "honest" }).WaitAsync(Bound);
        string fifo = Path.Combine(_dir, "go");
        MakeFifo(fifo);
        byte[] econtext = "Econtext"u8.ToArray();
        long image = new FileInfo(typeof(Router).Assembly.Location).Length;
        Assert.True(router.Routes.TryGetBelow(greedy.Id, out Econtext.Routing.ContextStream? stream));
        long requestsBefore = router.Statistics.AssemblyRequests;
        long droppedBefore = router.Statistics.MessagesDropped;

        // A hundred requests for the library's own image (~1 MB), and the child stops reading.
        ForgedFrame[] asks = [.. Enumerable.Range(0, Requests).Select(i => new ForgedFrame(0, greedy.Id, greedy.Id, AttackKit.GetAssembly, 0, econtext, ReplyTo: 1_000_000 + i))];
        await greedy.CallAsync(() => Attacks.StopReadingThenForge(fifo, asks)).WaitAsync(Bound);

        // The call's reply left after the requests: all are in. Wait until each one is answered,
        // refused, or parked until the child reads, checking what the master holds meanwhile.
        using (var deadline = new CancellationTokenSource(Bound))
        {
            while (!Settled(router, stream!, Requests, requestsBefore, droppedBefore))
            {
                Assert.True(stream!.QueuedBytes <= Held, $"the master queued {stream.QueuedBytes / 1048576.0:0.0} MB for a child that does not read ({image} bytes per answer)");
                Assert.False(deadline.IsCancellationRequested, $"not settled: {Lane(router, stream)}, {router.Statistics.AssemblyRequests - requestsBefore} requests, {router.Statistics.MessagesDropped - droppedBefore} dropped");
                await Task.Delay(10, CancellationToken.None);
            }
        }

        Assert.True(stream!.QueuedBytes <= Held, $"the master queued {stream.QueuedBytes / 1048576.0:0.0} MB for a child that does not read");
        Assert.True(router.Statistics.MessagesDropped - droppedBefore > 0, "no request was refused");

        // Meanwhile an honest context asking for several at once gets every one.
        ForgedFrame[] parallel = [.. Enumerable.Range(0, 16).Select(_ => new ForgedFrame(0, honest.Id, honest.Id, AttackKit.GetAssembly, 0, econtext, AnswerFrom: 0))];
        ForgedAnswer[] answers = await honest.CallAsync(() => Attacks.Forge(parallel, 20_000)).WaitAsync(Bound);
        Assert.All(answers, a => Assert.True(a.Arrived && a.Flags == 0 && a.Length == image, $"arrived {a.Arrived}, flags {a.Flags}, {a.Length} bytes: {a.Text}"));

        // Once the greedy child reads again, what was parked is answered and nothing stays held.
        Task go = Task.Run(() => File.WriteAllText(fifo, "go"));
        Assert.Equal(3, await greedy.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
        await go.WaitAsync(Bound);
        using (var deadline = new CancellationTokenSource(Bound))
        {
            while (Lane(router, stream!).Waiting > 0)
            {
                await Task.Delay(10, deadline.Token);
            }
        }
    }

    /// <summary>Every request is in and each is answered, refused, or parked until the stream drains (none still being looked up).</summary>
    private static bool Settled(Router router, Econtext.Routing.ContextStream stream, int requests, long requestsBefore, long droppedBefore)
    {
        (_, int parked, long answered) = Lane(router, stream);
        long refused = router.Statistics.MessagesDropped - droppedBefore;
        return router.Statistics.AssemblyRequests - requestsBefore >= requests && refused + answered + parked >= requests;
    }

    private static (int Waiting, int Parked, long Answered) Lane(Router router, Econtext.Routing.ContextStream stream) =>
        router.AssemblyLane(stream);

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

    [Fact(Timeout = 180000)]
    public async Task A_transport_that_writes_32_MiB_to_stderr_without_a_line_end_leaves_the_master_small_and_the_context_works()
    {
        const int Sent = 32 * 1024 * 1024;
        await using var router = new Router();

        // A first context makes the master load and cache what every context needs.
        Context plain = await router.LocalAsync(new LocalOptions { Name = "plain" }).WaitAsync(Bound);
        Assert.Equal(3, await plain.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
        long before = GC.GetTotalMemory(forceFullCollection: true);

        // The transport itself (here the program started as the runtime, as a compromised ssh host
        // or sudo target could) writes 32 MiB to its stderr with no line end, then runs the child.
        string noisy = Path.Combine(_dir, "noisy-dotnet");
        File.WriteAllText(noisy, $"#!/bin/sh\nhead -c {Sent} /dev/zero | tr '\\0' x >&2\nexec /usr/bin/dotnet \"$@\"\n");
        File.SetUnixFileMode(noisy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "noisy", DotnetPath = noisy }).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(3, await ctx.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));

        // The context is still there: whatever the master keeps of its transport's output is held.
        long grown = GC.GetTotalMemory(forceFullCollection: true) - before;
        Assert.True(grown < 8 * 1024 * 1024, $"the master holds {grown / 1048576.0:0.0} MB more after its transport wrote {Sent / 1048576} MiB to stderr without a line end");
    }

    [Fact(Timeout = 120000)]
    public async Task A_child_that_fetches_a_large_file_many_times_at_once_and_never_reads_makes_the_master_hold_a_bounded_amount()
    {
        const int Requests = 24;
        const int Chunk = 256 * 1024;
        const long Held = 8 * 1024 * 1024;
        await using var router = new Router();
        Context greedy = await router.LocalAsync(new LocalOptions { Name = "greedy" }).WaitAsync(Bound);
        Context honest = await router.LocalAsync(new LocalOptions { Name = "honest" }).WaitAsync(Bound);
        string shared = Directory.CreateDirectory(Path.Combine(_dir, "shared")).FullName;
        string big = Path.Combine(shared, "big.bin");
        using (FileStream file = File.Create(big))
        {
            file.SetLength(16 * 1024 * 1024);
        }

        using IDisposable greedyShare = greedy.ShareFiles(shared);
        using IDisposable honestShare = honest.ShareFiles(shared);
        string fifo = Path.Combine(_dir, "go");
        MakeFifo(fifo);
        Assert.True(router.Routes.TryGetBelow(greedy.Id, out Econtext.Routing.ContextStream? stream));

        // Two dozen fetches of a 16 MiB file at once, each with its own window of 16 chunks, and
        // the child stops reading: without a bound the master queues 24 x 4 MiB for it.
        ForgedFrame[] asks = [.. Enumerable.Range(0, Requests).Select(i => new ForgedFrame(0, greedy.Id, greedy.Id, AttackKit.FileGet, 0, AttackKit.FileGetPayload(big, Chunk), ReplyTo: 1_000_000 + i))];
        await greedy.CallAsync(() => Attacks.StopReadingThenForge(fifo, asks)).WaitAsync(Bound);

        // The call's reply left after the requests: all are in, though each is taken in on the pool.
        // None can finish (16 MiB each, for a child that does not read) nor be refused (fewer than
        // FileRequestLane.MaxRequests), so all are taken in once all run. Wait until then and until
        // every one waits (for a slot, its window, its turn, room in the queue, or the pipe),
        // checking the queue meanwhile.
        using (var deadline = new CancellationTokenSource(Bound))
        {
            while (router.FileLane(stream!) is not (Requests, int waiting) || waiting < Requests)
            {
                Assert.True(stream!.QueuedBytes <= Held, $"the master queued {stream.QueuedBytes / 1048576.0:0.0} MB for a child that does not read");
                Assert.False(deadline.IsCancellationRequested, $"not settled: {router.FileLane(stream)} (running, waiting), {stream.QueuedBytes} bytes queued");
                await Task.Delay(10, CancellationToken.None);
            }
        }

        Assert.True(stream!.QueuedBytes <= Held, $"the master queued {stream.QueuedBytes / 1048576.0:0.0} MB for a child that does not read");

        // Meanwhile another context fetches the same file at full speed.
        Assert.StartsWith("ok ", await honest.CallAsync(() => MasterFiles.TryFetch(big)).WaitAsync(Bound), StringComparison.Ordinal);

        // Once the greedy child reads again and goes, the master holds nothing for it: no transfer
        // and no descriptor on the file.
        Task go = Task.Run(() => File.WriteAllText(fifo, "go"));
        Assert.Equal(3, await greedy.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
        await go.WaitAsync(Bound);
        await greedy.ShutdownAsync().WaitAsync(Bound);
        using (var deadline = new CancellationTokenSource(Bound))
        {
            while (router.FileLane(stream).Running > 0 || Directory.GetFiles("/proc/self/fd").Any(fd => new FileInfo(fd).LinkTarget == big))
            {
                await Task.Delay(10, deadline.Token);
            }
        }
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
