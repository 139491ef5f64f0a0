using Econtext.TestAssets.Middle;
using Microsoft.Extensions.Logging;

namespace Econtext.IntegrationTests;

/// <summary>Contexts started through other contexts (LocalOptions.Via) behave like direct ones, and die with their hop.</summary>
public sealed class ViaTests
{
    [Fact(Timeout = 60000)]
    public async Task A_grandchild_is_started_by_its_intermediate_and_answers_calls()
    {
        using var logs = new CapturingLoggerProvider();
        using ILoggerFactory factory = logs.CreateFactory();
        await using var router = new Router(new RouterOptions { LoggerFactory = factory });
        Context middle = await router.LocalAsync(new LocalOptions { Name = "middle" }).WaitAsync(Bound);
        Context leaf = await router.LocalAsync(new LocalOptions { Name = "leaf", Via = middle }).WaitAsync(Bound);

        Assert.Equal(middle.RemoteProcessId, await leaf.CallAsync(() => Hops.ParentProcessId()).WaitAsync(Bound));
        ChildInfo info = await leaf.CallAsync(() => Probe.WhoAmI()).WaitAsync(Bound);
        Assert.Equal("leaf", info.Name);
        Assert.Equal(leaf.Id, info.Id);

        // Assemblies reach the grandchild through the intermediate, pushed ahead: no request waited.
        string described = await leaf.CallAsync(() => MiddleApi.DescribeAll(new List<Econtext.TestAssets.Leaf.LeafItem>())).WaitAsync(Bound);
        Assert.Equal(string.Empty, described);
        Assert.StartsWith("Econtext.TestAssets.Leaf@/proc/self/fd/", await leaf.CallAsync(() => MiddleApi.WhereIsLeaf()).WaitAsync(Bound), StringComparison.Ordinal);
        Assert.Equal(0, router.Statistics.AssemblyRequests);

        // Output of the grandchild is labelled with its own name.
        string line = "from the leaf " + Guid.NewGuid();
        await leaf.CallAsync(() => Output.Stdout(line)).WaitAsync(Bound);
        await logs.WaitForLineAsync("leaf.stdout", line).WaitAsync(Bound);

        // Exceptions carry the grandchild's name.
        RemoteException error = await Assert.ThrowsAsync<RemoteException>(() => leaf.CallAsync(() => Failing.VoidThrows("deep"))).WaitAsync(Bound);
        Assert.Equal("deep", error.Message);
        Assert.Equal("leaf", error.ContextName);
    }

    [Fact(Timeout = 60000)]
    public async Task Killing_the_intermediate_fails_calls_to_the_grandchild_at_once_and_the_grandchild_exits()
    {
        await using var router = new Router();
        Context middle = await router.LocalAsync(new LocalOptions { Name = "hop" }).WaitAsync(Bound);
        Context leaf = await router.LocalAsync(new LocalOptions { Name = "below-hop", Via = middle }).WaitAsync(Bound);
        Context bystander = await router.LocalAsync(new LocalOptions { Name = "bystander" }).WaitAsync(Bound);
        int leafPid = leaf.RemoteProcessId;
        Task<int> pending = leaf.CallAsync(() => Hops.SleepAsync(60_000));

        System.Diagnostics.Process.GetProcessById(middle.RemoteProcessId).Kill();

        ContextDisconnectedException ex = await Assert.ThrowsAsync<ContextDisconnectedException>(() => pending).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("below-hop", ex.ContextName);
        Assert.Contains("hop, the context it was reached through, is gone", ex.Reason, StringComparison.Ordinal);
        Assert.True(leaf.Disconnected.IsCancellationRequested);
        Assert.True(await ProcessWatch.WaitForExitAsync(leafPid, TimeSpan.FromSeconds(5)), "the grandchild outlived its parent");
        Assert.Equal(3, await bystander.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Shutting_a_grandchild_down_leaves_its_intermediate_working()
    {
        await using var router = new Router();
        Context middle = await router.LocalAsync(new LocalOptions { Name = "keeps-working" }).WaitAsync(Bound);
        Context leaf = await router.LocalAsync(new LocalOptions { Name = "goes-away", Via = middle }).WaitAsync(Bound);
        int leafPid = leaf.RemoteProcessId;

        await leaf.ShutdownAsync().WaitAsync(Bound);

        Assert.True(leaf.Disconnected.IsCancellationRequested, "the grandchild should be reported gone when ShutdownAsync returns");
        Assert.True(await ProcessWatch.WaitForExitAsync(leafPid, TimeSpan.FromSeconds(5)), "the grandchild still runs");
        Assert.False(middle.Disconnected.IsCancellationRequested, "shutting the grandchild down took its intermediate with it");
        Assert.Equal(5, await middle.CallAsync(() => Echo.Add(2, 3)).WaitAsync(Bound));
        await Assert.ThrowsAsync<ContextDisconnectedException>(() => leaf.CallAsync(() => Echo.Add(1, 1))).WaitAsync(Bound);
    }

    [Fact(Timeout = 60000)]
    public async Task A_context_three_hops_away_behaves_like_a_direct_one()
    {
        await using var router = new Router();
        Context one = await router.LocalAsync(new LocalOptions { Name = "one" }).WaitAsync(Bound);
        Context two = await router.LocalAsync(new LocalOptions { Name = "two", Via = one }).WaitAsync(Bound);
        Context three = await router.LocalAsync(new LocalOptions { Name = "three", Via = two }).WaitAsync(Bound);

        Assert.Equal(two.RemoteProcessId, await three.CallAsync(() => Hops.ParentProcessId()).WaitAsync(Bound));
        byte[] data = new byte[3 * 1024 * 1024];
        Random.Shared.NextBytes(data);
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(data)), (await three.CallAsync(() => Work.Digest(0, data)).WaitAsync(Bound)).Split(':')[1]);

        using var cts = new CancellationTokenSource();
        string key = Guid.NewGuid().ToString();
        Task<int> call = three.CallAsync(() => Cancellable.WaitUntilCancelledAsync(key, CancellationToken.None, 1), cts.Token);
        Assert.True(await three.CallAsync(() => Cancellable.WaitStartedAsync(key, 20_000)).WaitAsync(Bound));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call).WaitAsync(Bound);
        Assert.True(await three.CallAsync(() => Cancellable.WaitObservedAsync(key, 20_000)).WaitAsync(Bound), "the cancellation did not cross two hops");
    }

    [Fact(Timeout = 60000)]
    public async Task Two_grandchildren_behind_one_intermediate_cost_the_master_one_send_per_assembly()
    {
        await using var router = new Router();
        Context hub = await router.LocalAsync(new LocalOptions { Name = "hub" }).WaitAsync(Bound);
        Context first = await router.LocalAsync(new LocalOptions { Name = "first", Via = hub }).WaitAsync(Bound);
        Context second = await router.LocalAsync(new LocalOptions { Name = "second", Via = hub }).WaitAsync(Bound);
        long before = router.Statistics.AssembliesPushed;
        long bytesBefore = router.Statistics.AssemblyBytesPushed;

        Assert.Equal("seven", (await first.CallAsync(() => MiddleApi.Make("seven")).WaitAsync(Bound)).Name);
        Assert.Equal("eight", (await second.CallAsync(() => MiddleApi.Make("eight")).WaitAsync(Bound)).Name);
        Assert.Equal("nine", (await hub.CallAsync(() => MiddleApi.Make("nine")).WaitAsync(Bound)).Name);

        // Middle and Leaf crossed the master's link once; the hub served its children and itself.
        long expected = new FileInfo(typeof(MiddleApi).Assembly.Location).Length + new FileInfo(typeof(Econtext.TestAssets.Leaf.LeafItem).Assembly.Location).Length;
        Assert.Equal(2, router.Statistics.AssembliesPushed - before);
        Assert.Equal(expected, router.Statistics.AssemblyBytesPushed - bytesBefore);
        Assert.Equal(0, router.Statistics.AssemblyRequests);
    }

    [Fact(Timeout = 60000)]
    public async Task Shutting_an_intermediate_down_shuts_its_subtree_down_first()
    {
        await using var router = new Router();
        Context top = await router.LocalAsync(new LocalOptions { Name = "top" }).WaitAsync(Bound);
        Context below = await router.LocalAsync(new LocalOptions { Name = "below", Via = top }).WaitAsync(Bound);
        Context bottom = await router.LocalAsync(new LocalOptions { Name = "bottom", Via = below }).WaitAsync(Bound);
        int[] pids = [top.RemoteProcessId, below.RemoteProcessId, bottom.RemoteProcessId];
        var order = new List<string>();
        foreach (Context context in new[] { top, below, bottom })
        {
            context.Disconnected.Register(() =>
            {
                lock (order)
                {
                    order.Add(context.Name);
                }
            });
        }

        await top.ShutdownAsync().WaitAsync(Bound);

        foreach (int pid in pids)
        {
            Assert.True(await ProcessWatch.WaitForExitAsync(pid, TimeSpan.FromSeconds(5)), $"process {pid} of the subtree still runs");
        }

        lock (order)
        {
            Assert.Equal(["bottom", "below", "top"], order);
        }

        // A clean exit on SHUTDOWN, not a kill after the grace period.
        Assert.Contains("exited with code 0", bottom.DisconnectReason ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60000)]
    public async Task A_hung_method_does_not_block_shutdown()
    {
        await using var router = new Router();
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "hung" }).WaitAsync(Bound);
        int pid = ctx.RemoteProcessId;
        string gate = Guid.NewGuid().ToString();
        Task<string> hung = ctx.CallAsync(() => Work.BlockAtGate(gate));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await ctx.ShutdownAsync().WaitAsync(Bound);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"shutdown waited {watch.Elapsed.TotalSeconds:0.0} s for a method that never returns");
        Assert.True(await ProcessWatch.WaitForExitAsync(pid, TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAsync<ContextDisconnectedException>(() => hung).WaitAsync(Bound);
    }
}
