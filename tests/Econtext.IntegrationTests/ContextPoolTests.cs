using System.Threading.Channels;

namespace Econtext.IntegrationTests;

/// <summary>
/// <see cref="ContextPool"/> against real children: a key lends one context, concurrent acquires share one
/// start, a killed or stopped context is replaced (and the stopped one killed), idle ones are shut down
/// but never one that is lent, a discarded context is never lent again, and disposal leaves no process.
/// </summary>
public sealed class ContextPoolTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact(Timeout = 90000)]
    public async Task One_key_lends_one_context_and_another_key_another()
    {
        await using var rig = new PoolRig();
        ContextLease first = await rig.AcquireAsync("web1");
        Assert.True(first.Started);
        Assert.False(first.Reconnected);
        Assert.Null(first.ReconnectReason);
        Assert.Equal("web1", first.Key);
        int pid = first.Context.RemoteProcessId;
        Assert.Equal(pid, await first.Context.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        first.Dispose();
        first.Dispose(); // a second return is ignored, not counted

        using (ContextLease second = await rig.AcquireAsync("web1"))
        {
            Assert.Same(first.Context, second.Context);
            Assert.Equal(pid, second.Context.RemoteProcessId);
            Assert.False(second.Started);
            Assert.False(second.Reconnected);
            Assert.Equal(pid, await second.Context.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
            Assert.Equal(1, rig.Info("web1").Leases);

            using ContextLease other = await rig.AcquireAsync("web2");
            Assert.True(other.Started);
            Assert.NotSame(second.Context, other.Context);
            Assert.NotEqual(pid, other.Context.RemoteProcessId);
            Assert.Equal(other.Context.RemoteProcessId, await other.Context.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        }

        PooledContextInfo info = rig.Info("web1");
        Assert.Equal(2, info.Uses);
        Assert.Equal(0, info.Leases);
        Assert.Equal(pid, info.RemoteProcessId);
        Assert.Equal(0, info.Reconnects);
        Assert.Equal(2, rig.Pool.Count);
        Assert.Equal(2, rig.Connects);
        Assert.Equal(2, rig.Router.Contexts.Count());
        Assert.True(Processes.IsRunning(pid), "a returned context's process should be kept running");
    }

    [Fact(Timeout = 90000)]
    public async Task Concurrent_acquires_of_one_key_start_exactly_one_context()
    {
        await using var rig = new PoolRig();
        using var go = new ManualResetEventSlim();
        Task<ContextLease>[] acquires = [.. Enumerable.Range(0, 8).Select(_ => Task.Factory.StartNew(
            () =>
            {
                go.Wait();
                return rig.Pool.AcquireAsync("db", rig.ConnectAsync);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap())];
        go.Set();
        ContextLease[] leases = await Task.WhenAll(acquires).WaitAsync(Bound);

        Assert.Equal(1, rig.Connects);
        Assert.Single(rig.Router.Contexts);
        Assert.Single(leases, l => l.Started);
        Assert.All(leases, l => Assert.Same(leases[0].Context, l.Context));
        Assert.All(leases, l => Assert.False(l.Reconnected));
        Assert.Equal(8, rig.Info("db").Leases);
        Assert.Equal(8, rig.Info("db").Uses);
        foreach (ContextLease lease in leases)
        {
            lease.Dispose();
        }

        Assert.Equal(0, rig.Info("db").Leases);
    }

    [Theory(Timeout = 90000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_context_killed_between_uses_is_started_again_and_the_lease_says_why(bool waitForTheRouterToNotice)
    {
        await using var rig = new PoolRig();
        int oldPid;
        Context old;
        using (ContextLease first = await rig.AcquireAsync("app"))
        {
            old = first.Context;
            oldPid = old.RemoteProcessId;
        }

        Processes.Signal(oldPid, Processes.SigKill);
        Assert.True(await ProcessWatch.WaitForExitAsync(oldPid, Bound), $"the killed context {oldPid} did not exit");
        if (waitForTheRouterToNotice)
        {
            await WhenCancelled(old.Disconnected).WaitAsync(Bound); // the pool learns it from the event
        }

        // Else the acquire may find it kept and still taken for alive: the check must find it gone.
        using ContextLease second = await rig.AcquireAsync("app");
        output.WriteLine(second.ReconnectReason);
        Assert.True(second.Started);
        Assert.True(second.Reconnected);
        Assert.False(string.IsNullOrWhiteSpace(second.ReconnectReason));
        Assert.NotSame(old, second.Context);
        int newPid = second.Context.RemoteProcessId;
        Assert.NotEqual(oldPid, newPid);
        Assert.Equal(newPid, await second.Context.PingAsync().WaitAsync(Bound));
        Assert.False(Processes.IsRunning(oldPid));
        Assert.True(old.Disconnected.IsCancellationRequested);
        Assert.Equal(2, rig.Connects);
        PooledContextInfo info = rig.Info("app");
        Assert.Same(second.Context, info.Context);
        Assert.Equal(1, info.Reconnects);
        Assert.Equal([second.Context], rig.Router.Contexts);
    }

    [Theory(Timeout = 90000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_context_that_stops_answering_fails_the_health_check_in_time_is_replaced_and_killed(bool disposeThePoolAtOnce)
    {
        var health = TimeSpan.FromMilliseconds(500);
        await using var rig = new PoolRig(new ContextPoolOptions { HealthCheckTimeout = health, IdleTimeout = Timeout.InfiniteTimeSpan });
        Context stopped;
        using (ContextLease first = await rig.AcquireAsync("hung"))
        {
            stopped = first.Context;
        }

        int stoppedPid = stopped.RemoteProcessId;
        using (await Frozen.StopAsync(stoppedPid, Bound))
        {
            long start = Environment.TickCount64;
            using ContextLease second = await rig.AcquireAsync("hung");
            long connectAfter = rig.LastConnectAt - start;
            output.WriteLine($"connect called {connectAfter} ms after the acquire began; reason: {second.ReconnectReason}");

            Assert.True(second.Started);
            Assert.True(second.Reconnected);
            Assert.Contains("health check", second.ReconnectReason, StringComparison.Ordinal);
            Assert.Equal(2, rig.Connects);

            // The check waited for the answer, and the replacement was started once it had not come: not after
            // the stopped context's shutdown, which for a process that cannot run takes the grace periods.
            Assert.True(connectAfter >= health.TotalMilliseconds - 50, $"the replacement was started {connectAfter} ms after the acquire began, before the health check could have failed");
            Assert.True(connectAfter < health.TotalMilliseconds + 2000, $"the replacement was started only {connectAfter} ms after the acquire began (HealthCheckTimeout {health.TotalMilliseconds} ms)");

            int newPid = second.Context.RemoteProcessId;
            Assert.NotEqual(stoppedPid, newPid);
            Assert.Equal(newPid, await second.Context.PingAsync().WaitAsync(Bound));
            Assert.Same(second.Context, rig.Info("hung").Context);

            // Still stopped: it cannot exit by itself, so only a kill ends it. Its shutdown goes on after the
            // acquire has returned; disposing the pool waits for it.
            if (disposeThePoolAtOnce)
            {
                await rig.Pool.DisposeAsync().AsTask().WaitAsync(Bound);
                Assert.False(Processes.IsRunning(stoppedPid), $"the stopped context {stoppedPid} still runs after the pool was disposed");
                Assert.False(Processes.IsRunning(newPid), $"its replacement {newPid} still runs after the pool was disposed");
            }

            Assert.True(await ProcessWatch.WaitForExitAsync(stoppedPid, Bound), $"the stopped context {stoppedPid} was left running");
            await WhenCancelled(stopped.Disconnected).WaitAsync(Bound);
        }

        Assert.Equal(disposeThePoolAtOnce ? [] : [rig.Started[1]], rig.Router.Contexts);
    }

    [Fact(Timeout = 90000)]
    public async Task An_idle_context_is_shut_down_but_a_lent_one_is_not()
    {
        await using var rig = new PoolRig(new ContextPoolOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        var closed = Channel.CreateUnbounded<PooledContextInfo>();
        rig.Pool.IdleContextClosed += info => closed.Writer.TryWrite(info);

        // "held" is lent first and never returned: when "idle" is due, "held" has been unused (were leases
        // ignored) for longer, so the same sweep would take it.
        using ContextLease held = await rig.AcquireAsync("held");
        int heldPid = held.Context.RemoteProcessId;
        ContextLease idle = await rig.AcquireAsync("idle");
        int idlePid = idle.Context.RemoteProcessId;
        idle.Dispose();

        PooledContextInfo first = await closed.Reader.ReadAsync().AsTask().WaitAsync(Bound);
        Assert.Equal("idle", first.Key);
        Assert.Equal(idlePid, first.RemoteProcessId);
        Assert.Equal(0, first.Leases);

        // The sweep removes what it closes under the lock, before raising the event: "held" is still kept.
        Assert.Same(held.Context, Assert.Single(rig.Pool.Snapshot()).Context);
        Assert.False(closed.Reader.TryRead(out PooledContextInfo? more), $"{more?.Key} was closed too");
        Assert.True(await ProcessWatch.WaitForExitAsync(idlePid, Bound), $"the idle context {idlePid} still runs after it was closed");
        Assert.Equal(heldPid, await held.Context.PingAsync().WaitAsync(Bound));

        // Closed for idleness is not "found gone": the next acquire starts one, not a reconnect.
        using (ContextLease again = await rig.AcquireAsync("idle"))
        {
            Assert.True(again.Started);
            Assert.False(again.Reconnected);
            Assert.NotEqual(idlePid, again.Context.RemoteProcessId);
        }

        held.Dispose();
        var next = new HashSet<string>
        {
            (await closed.Reader.ReadAsync().AsTask().WaitAsync(Bound)).Key,
            (await closed.Reader.ReadAsync().AsTask().WaitAsync(Bound)).Key,
        };
        Assert.Equal(["held", "idle"], next.Order());
        Assert.True(await ProcessWatch.WaitForExitAsync(heldPid, Bound), $"the context {heldPid} still runs after it was closed");
        Assert.Equal(0, rig.Pool.Count);
    }

    [Fact(Timeout = 90000)]
    public async Task Discarding_the_only_lease_ends_the_process_before_the_task_completes()
    {
        await using var rig = new PoolRig();
        ContextLease lease = await rig.AcquireAsync("job");
        int pid = lease.Context.RemoteProcessId;

        await lease.DiscardAsync().WaitAsync(Bound);

        Assert.False(Processes.IsRunning(pid), $"context {pid} still runs after DiscardAsync completed");
        Assert.True(lease.Context.Disconnected.IsCancellationRequested);
        Assert.Equal(0, rig.Pool.Count);
        await lease.DiscardAsync().WaitAsync(Bound); // once only: nothing more happens
        lease.Dispose();

        using ContextLease next = await rig.AcquireAsync("job");
        Assert.True(next.Started);
        Assert.False(next.Reconnected);
        Assert.NotEqual(pid, next.Context.RemoteProcessId);
        Assert.Equal(1, rig.Info("job").Uses);
    }

    [Fact(Timeout = 90000)]
    public async Task A_discarded_context_serves_its_other_holder_until_returned_and_is_never_lent_again()
    {
        await using var rig = new PoolRig();
        ContextLease interrupted = await rig.AcquireAsync("job");
        ContextLease other = await rig.AcquireAsync("job");
        Context shared = interrupted.Context;
        int pid = shared.RemoteProcessId;

        await interrupted.DiscardAsync().WaitAsync(Bound);
        Assert.Equal(pid, await other.Context.PingAsync().WaitAsync(Bound));
        Assert.Equal(pid, await other.Context.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        Assert.Equal(0, rig.Pool.Count);

        using (ContextLease fresh = await rig.AcquireAsync("job"))
        {
            Assert.True(fresh.Started);
            Assert.False(fresh.Reconnected);
            Assert.NotSame(shared, fresh.Context);
            Assert.NotEqual(pid, fresh.Context.RemoteProcessId);
            Assert.Equal(pid, await other.Context.PingAsync().WaitAsync(Bound)); // still the other holder's
        }

        other.Dispose();
        Assert.True(await ProcessWatch.WaitForExitAsync(pid, Bound), $"the discarded context {pid} still runs after its last lease was returned");
        await WhenCancelled(shared.Disconnected).WaitAsync(Bound);
        Assert.NotSame(shared, rig.Info("job").Context);
    }

    [Fact(Timeout = 90000)]
    public async Task A_failing_connect_is_thrown_as_is_keeps_nothing_and_the_next_acquire_tries_again()
    {
        await using var rig = new PoolRig();
        var refused = new InvalidOperationException("no route to the test host");
        Exception thrown = await Assert.ThrowsAsync<InvalidOperationException>(
            () => rig.Pool.AcquireAsync("flaky", _ => Task.FromException<Context>(refused))).WaitAsync(Bound);
        Assert.Same(refused, thrown);
        Assert.Equal(0, rig.Pool.Count);
        Assert.Empty(rig.Pool.Snapshot());

        // A real start that fails: the transport's own exception, and no child left behind.
        ConnectionException failed = await Assert.ThrowsAsync<ConnectionException>(
            () => rig.Pool.AcquireAsync("flaky", ct => rig.Router.LocalAsync(new LocalOptions { Name = "false-host", DotnetPath = "/bin/false" }, ct))).WaitAsync(Bound);
        Assert.Equal(ConnectionFailure.TransportExited, failed.Kind);
        Assert.Equal(0, rig.Pool.Count);
        Assert.Empty(rig.Router.Contexts);

        using ContextLease lease = await rig.AcquireAsync("flaky");
        Assert.True(lease.Started);
        Assert.False(lease.Reconnected);
        Assert.Equal(1, rig.Connects);
        Assert.Equal(lease.Context.RemoteProcessId, await lease.Context.PingAsync().WaitAsync(Bound));
    }

    [Fact(Timeout = 90000)]
    public async Task Disposing_the_pool_ends_every_kept_context_lent_or_not_and_refuses_acquires()
    {
        await using var rig = new PoolRig();
        ContextLease lent = await rig.AcquireAsync("lent");
        using (await rig.AcquireAsync("returned"))
        {
        }

        int[] pids = [.. rig.Started.Select(c => c.RemoteProcessId)];
        Assert.Equal(2, pids.Length);

        await rig.Pool.DisposeAsync().AsTask().WaitAsync(Bound);

        Assert.All(pids, pid => Assert.False(Processes.IsRunning(pid), $"context {pid} still runs after the pool was disposed"));
        Assert.True(lent.Context.Disconnected.IsCancellationRequested);
        Assert.Equal(0, rig.Pool.Count);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => rig.Pool.AcquireAsync("lent", rig.ConnectAsync)).WaitAsync(Bound);
        Assert.Equal(2, rig.Connects);
        lent.Dispose(); // returning a lease to a disposed pool is harmless
        await rig.Pool.DisposeAsync().AsTask().WaitAsync(Bound);
    }

    [Fact(Timeout = 90000)]
    public async Task A_context_started_while_the_pool_is_disposed_is_shut_down_not_kept()
    {
        await using var rig = new PoolRig();
        var started = new TaskCompletionSource<Context>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<ContextLease> acquire = rig.Pool.AcquireAsync("late", async ct =>
        {
            Context context = await rig.ConnectAsync(ct);
            started.SetResult(context);
            await release.Task;
            return context;
        });
        Context late = await started.Task.WaitAsync(Bound);

        await rig.Pool.DisposeAsync().AsTask().WaitAsync(Bound);
        release.SetResult();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => acquire).WaitAsync(Bound);
        Assert.False(Processes.IsRunning(late.RemoteProcessId), $"the context {late.RemoteProcessId} started as the pool was disposed still runs");
        Assert.Empty(rig.Router.Contexts);
    }

    [Fact(Timeout = 90000)]
    public async Task PingAsync_answers_with_the_context_pid_and_fails_once_it_is_gone()
    {
        await using var router = new Router(new RouterOptions { ShutdownGracePeriod = PoolRig.Grace });
        Context middle = await router.LocalAsync(new LocalOptions { Name = "ping-middle" }).WaitAsync(Bound);
        Context leaf = await router.LocalAsync(new LocalOptions { Name = "ping-leaf", Via = middle }).WaitAsync(Bound);

        Assert.Equal(middle.RemoteProcessId, await middle.PingAsync().WaitAsync(Bound));
        Assert.Equal(await leaf.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound), await leaf.PingAsync().WaitAsync(Bound));
        Assert.Equal(leaf.RemoteProcessId, await leaf.PingAsync().WaitAsync(Bound));
        Assert.NotEqual(middle.RemoteProcessId, leaf.RemoteProcessId);

        // One that cannot answer: the ping waits as long as its token lets it.
        using (await Frozen.StopAsync(leaf.RemoteProcessId, Bound))
        {
            using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaf.PingAsync(soon.Token)).WaitAsync(Bound);
        }

        Assert.Equal(leaf.RemoteProcessId, await leaf.PingAsync().WaitAsync(Bound));
        await leaf.ShutdownAsync().WaitAsync(Bound);
        ContextDisconnectedException ex = await Assert.ThrowsAsync<ContextDisconnectedException>(() => leaf.PingAsync()).WaitAsync(Bound);
        Assert.Equal("ping-leaf", ex.ContextName);

        int middlePid = middle.RemoteProcessId;
        Processes.Signal(middlePid, Processes.SigKill);
        await WhenCancelled(middle.Disconnected).WaitAsync(Bound);
        await Assert.ThrowsAsync<ContextDisconnectedException>(() => middle.PingAsync()).WaitAsync(Bound);
    }

    [Theory(Timeout = 30000)]
    [InlineData("IdleTimeout", -1000L)]
    [InlineData("IdleTimeout", -2L)]
    [InlineData("IdleTimeout", long.MaxValue)]
    [InlineData("IdleTimeout", 25L * 24 * 3600 * 1000)]
    [InlineData("HealthCheckTimeout", -1L)]
    [InlineData("HealthCheckTimeout", -500L)]
    [InlineData("HealthCheckTimeout", long.MaxValue)]
    [InlineData("HealthCheckTimeout", 25L * 24 * 3600 * 1000)]
    public Task Unworkable_timeouts_are_refused_naming_the_option(string option, long milliseconds)
    {
        TimeSpan value = milliseconds == long.MaxValue ? TimeSpan.MaxValue : TimeSpan.FromMilliseconds(milliseconds);
        ContextPoolOptions options = option == "IdleTimeout"
            ? new ContextPoolOptions { IdleTimeout = value }
            : new ContextPoolOptions { HealthCheckTimeout = value };

        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ContextPool(options));
        output.WriteLine(ex.Message);
        Assert.StartsWith(option + " must be", ex.Message, StringComparison.Ordinal);
        return Task.CompletedTask;
    }

    /// <summary>The limits themselves, and the values that turn a feature off, work through a lease's whole life.</summary>
    [Fact(Timeout = 90000)]
    public async Task Timeouts_at_their_limits_and_off_are_accepted_and_work()
    {
        _ = new ContextPool(new ContextPoolOptions { IdleTimeout = TimeSpan.Zero, HealthCheckTimeout = TimeSpan.Zero });
        var longest = TimeSpan.FromMilliseconds(int.MaxValue);
        await using var rig = new PoolRig(new ContextPoolOptions { IdleTimeout = longest, HealthCheckTimeout = longest });
        int pid;
        using (ContextLease first = await rig.AcquireAsync("far"))
        {
            pid = first.Context.RemoteProcessId;
        }

        using ContextLease second = await rig.AcquireAsync("far");
        Assert.False(second.Started);
        Assert.Equal(pid, second.Context.RemoteProcessId);
    }

    private static Task WhenCancelled(CancellationToken token)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => done.TrySetResult());
        return done.Task;
    }
}
