using System.Diagnostics;

namespace Econtext.IntegrationTests;

/// <summary>
/// SIGKILL anywhere in a tree: calls to everything behind the dead process fail within a second naming
/// it, everything below it exits within 5 s, and the rest of the tree keeps working.
/// Tree: master ─ a ─ a1, a ─ a2 ─ a2x; master ─ b ─ b1.
/// </summary>
public sealed class TopologyTests
{
    private static readonly TimeSpan FailWithin = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(5);

    [Fact(Timeout = 90000)]
    public async Task Killing_a_grandchild_leaf_touches_nothing_else()
    {
        await using var router = new Router();
        Tree tree = await Tree.BuildAsync(router);
        await KillAndCheckAsync(tree, tree.A1, dead: [tree.A1], alive: [tree.A, tree.A2, tree.A2x, tree.B, tree.B1]);
    }

    [Fact(Timeout = 90000)]
    public async Task Killing_an_intermediate_takes_its_whole_subtree_and_only_it()
    {
        await using var router = new Router();
        Tree tree = await Tree.BuildAsync(router);
        await KillAndCheckAsync(tree, tree.A, dead: [tree.A, tree.A1, tree.A2, tree.A2x], alive: [tree.B, tree.B1]);
    }

    [Fact(Timeout = 90000)]
    public async Task Killing_a_near_sibling_leaves_the_other_children_of_its_parent_working()
    {
        await using var router = new Router();
        Tree tree = await Tree.BuildAsync(router);
        await KillAndCheckAsync(tree, tree.A2, dead: [tree.A2, tree.A2x], alive: [tree.A, tree.A1, tree.B, tree.B1]);
    }

    [Fact(Timeout = 90000)]
    public async Task Killing_a_far_sibling_leaves_the_other_subtree_working()
    {
        await using var router = new Router();
        Tree tree = await Tree.BuildAsync(router);
        await KillAndCheckAsync(tree, tree.B1, dead: [tree.B1], alive: [tree.A, tree.A1, tree.A2, tree.A2x, tree.B]);
    }

    [Fact(Timeout = 90000)]
    public async Task Disposing_the_router_leaves_no_process_of_the_tree()
    {
        var router = new Router();
        Tree tree = await Tree.BuildAsync(router);
        int[] pids = [tree.A.RemoteProcessId, tree.A1.RemoteProcessId, tree.A2.RemoteProcessId, tree.A2x.RemoteProcessId, tree.B.RemoteProcessId, tree.B1.RemoteProcessId];
        Task<int> pending = tree.A2x.CallAsync(() => Hops.SleepAsync(60_000));

        await router.DisposeAsync().AsTask().WaitAsync(Bound);

        await Assert.ThrowsAsync<ContextDisconnectedException>(() => pending).WaitAsync(Bound);
        foreach (int pid in pids)
        {
            Assert.True(await ProcessWatch.WaitForExitAsync(pid, ExitWithin), $"process {pid} of the tree outlived the router");
        }
    }

    private static async Task KillAndCheckAsync(Tree tree, Context victim, Context[] dead, Context[] alive)
    {
        var pending = dead.Select(c => (Context: c, Call: c.CallAsync(() => Hops.SleepAsync(60_000)))).ToArray();
        int[] deadPids = dead.Select(c => c.RemoteProcessId).ToArray();

        var watch = Stopwatch.StartNew();
        Process.GetProcessById(victim.RemoteProcessId).Kill();

        foreach ((Context context, Task<int> call) in pending)
        {
            ContextDisconnectedException ex = await Assert.ThrowsAsync<ContextDisconnectedException>(() => call).WaitAsync(Bound);
            Assert.Equal(context.Name, ex.ContextName);
            if (context == victim)
            {
                // Reported by its parent, which saw the process die.
                Assert.Contains("killed by signal 9 (SIGKILL)", ex.Reason, StringComparison.Ordinal);
            }
            else
            {
                Assert.Contains($"{victim.Name}, the context it was reached through, is gone", ex.Reason, StringComparison.Ordinal);
            }
        }

        Assert.True(watch.Elapsed < FailWithin, $"the pending calls took {watch.Elapsed.TotalMilliseconds:0} ms to fail");
        foreach (int pid in deadPids)
        {
            Assert.True(await ProcessWatch.WaitForExitAsync(pid, ExitWithin), $"process {pid} below the dead one still runs");
        }

        foreach (Context context in alive)
        {
            Assert.False(context.Disconnected.IsCancellationRequested, $"{context.Name} was reported gone");
            Assert.Equal(context.RemoteProcessId, await context.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        }

        _ = tree;
    }

    private sealed record Tree(Context A, Context A1, Context A2, Context A2x, Context B, Context B1)
    {
        public static async Task<Tree> BuildAsync(Router router)
        {
            Task<Context> a = router.LocalAsync(new LocalOptions { Name = "a" });
            Task<Context> b = router.LocalAsync(new LocalOptions { Name = "b" });
            await Task.WhenAll(a, b).WaitAsync(Bound);
            Task<Context> a1 = router.LocalAsync(new LocalOptions { Name = "a1", Via = a.Result });
            Task<Context> a2 = router.LocalAsync(new LocalOptions { Name = "a2", Via = a.Result });
            Task<Context> b1 = router.LocalAsync(new LocalOptions { Name = "b1", Via = b.Result });
            await Task.WhenAll(a1, a2, b1).WaitAsync(Bound);
            Context a2x = await router.LocalAsync(new LocalOptions { Name = "a2x", Via = a2.Result }).WaitAsync(Bound);
            return new Tree(a.Result, a1.Result, a2.Result, a2x, b.Result, b1.Result);
        }
    }
}
