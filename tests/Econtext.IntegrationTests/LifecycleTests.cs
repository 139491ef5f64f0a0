using System.Diagnostics;
using System.Globalization;

namespace Econtext.IntegrationTests;

/// <summary>Children exit when told, when the router goes, and when the master dies; deaths are reported at once.</summary>
public sealed class LifecycleTests : IClassFixture<ChildFixture>
{
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(5);
    private readonly ChildFixture _fixture;

    public LifecycleTests(ChildFixture fixture) => _fixture = fixture;

    [Fact(Timeout = 60000)]
    public async Task ShutdownAsync_ends_the_child_process_and_disconnects_the_context()
    {
        Context ctx = await _fixture.Router.LocalAsync(new LocalOptions { Name = "to-shut-down" }).WaitAsync(Bound);
        int pid = ctx.RemoteProcessId;
        Assert.True(Processes.IsRunning(pid), "the child should be running");
        Assert.Equal(pid, await ctx.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));

        await ctx.ShutdownAsync().WaitAsync(Bound);
        bool disconnectedAtReturn = ctx.Disconnected.IsCancellationRequested;

        Assert.True(await ProcessWatch.WaitForExitAsync(pid, ExitDeadline), $"child {pid} still runs after ShutdownAsync");
        Assert.True(await WhenCancelled(ctx.Disconnected).CompletesWithin(TimeSpan.FromSeconds(10)), "ctx.Disconnected was never cancelled after ShutdownAsync");
        Assert.NotNull(ctx.DisconnectReason);
        Assert.DoesNotContain(ctx, _fixture.Router.Contexts);
        ContextDisconnectedException ex = await Assert.ThrowsAsync<ContextDisconnectedException>(() => ctx.CallAsync(() => Echo.Add(1, 1))).WaitAsync(Bound);
        Assert.Equal("to-shut-down", ex.ContextName);
        Assert.Equal(3, await _fixture.Context.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
        Assert.True(disconnectedAtReturn, "ShutdownAsync completed before ctx.Disconnected was cancelled (it was, a moment later)");
    }

    [Fact(Timeout = 60000)]
    public async Task Shutdown_delivers_output_printed_just_before_it()
    {
        Context ctx = await _fixture.Router.LocalAsync(new LocalOptions { Name = "flush-" + Guid.NewGuid().ToString("N")[..6] }).WaitAsync(Bound);
        string line = "last words " + Guid.NewGuid();
        string partial = "no line end " + Guid.NewGuid();
        Task<LogEntry> lineArrived = _fixture.Logs.WaitForLineAsync(ctx.Name + ".stdout", line);
        Task<LogEntry> partialArrived = _fixture.Logs.WaitForLineAsync(ctx.Name + ".stdout", partial);

        await ctx.CallAsync(() => Output.Stdout(line)).WaitAsync(Bound);
        await ctx.CallAsync(() => Output.Partial(partial)).WaitAsync(Bound);
        await ctx.ShutdownAsync().WaitAsync(Bound);
        bool lineAtReturn = lineArrived.IsCompleted;
        bool partialAtReturn = partialArrived.IsCompleted;

        // Everything printed before SHUTDOWN is delivered, and by the time ShutdownAsync completes.
        Assert.True(await lineArrived.CompletesWithin(TimeSpan.FromSeconds(10)), "the last full line never arrived");
        Assert.True(
            await partialArrived.CompletesWithin(TimeSpan.FromSeconds(10)),
            $"the unterminated last line never arrived (DisconnectReason: {ctx.DisconnectReason ?? "null"})");
        Assert.True(lineAtReturn, "the last full line arrived, but only after ShutdownAsync had completed");
        Assert.True(partialAtReturn, "the unterminated last line arrived, but only after ShutdownAsync had completed");
    }

    [Fact(Timeout = 60000)]
    public async Task Disposing_the_router_ends_every_child_and_fails_its_pending_calls()
    {
        // A few rounds: the teardown races the receive loops' disconnect handling.
        var lateRounds = new List<int>();
        for (int round = 0; round < 5; round++)
        {
            var router = new Router();
            Context a = await router.LocalAsync(new LocalOptions { Name = $"dispose-{round}-a" }).WaitAsync(Bound);
            Context b = await router.LocalAsync(new LocalOptions { Name = $"dispose-{round}-b" }).WaitAsync(Bound);
            Context[] contexts = [a, b];
            Task<string> pending = a.CallAsync(() => Work.WaitAtGateAsync("dispose-" + Guid.NewGuid()));

            await router.DisposeAsync().AsTask().WaitAsync(Bound);
            bool disconnectedAtReturn = contexts.All(c => c.Disconnected.IsCancellationRequested);

            foreach (Context context in contexts)
            {
                Assert.True(await ProcessWatch.WaitForExitAsync(context.RemoteProcessId, ExitDeadline), $"round {round}: child {context.RemoteProcessId} survived the router");
            }

            Assert.True(
                await pending.CompletesWithin(TimeSpan.FromSeconds(10)),
                $"round {round}: a call pending when the router was disposed never completed; {a.Name}.DisconnectReason: {a.DisconnectReason ?? "null"}, {b.Name}.DisconnectReason: {b.DisconnectReason ?? "null"}");
            await Assert.ThrowsAsync<ContextDisconnectedException>(() => pending);
            foreach (Context context in contexts)
            {
                Assert.True(
                    await WhenCancelled(context.Disconnected).CompletesWithin(TimeSpan.FromSeconds(10)),
                    $"round {round}: {context.Name}.Disconnected was never cancelled after DisposeAsync");
            }

            await Assert.ThrowsAsync<ObjectDisposedException>(() => router.LocalAsync()).WaitAsync(Bound);
            if (!disconnectedAtReturn)
            {
                lateRounds.Add(round);
            }
        }

        Assert.True(
            lateRounds.Count == 0,
            $"in rounds {string.Join(", ", lateRounds)} of 5, DisposeAsync completed before every context's Disconnected was cancelled (they were, a moment later)");
    }

    [Fact(Timeout = 60000)]
    public async Task Killed_child_fails_pending_calls_promptly_and_cancels_Disconnected()
    {
        Context ctx = await _fixture.Router.LocalAsync(new LocalOptions { Name = "to-kill" }).WaitAsync(Bound);
        int pid = ctx.RemoteProcessId;
        var disconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration registration = ctx.Disconnected.Register(() => disconnected.TrySetResult());
        string gate = "kill-" + Guid.NewGuid();
        Task<string> pending = ctx.CallAsync(() => Work.WaitAtGateAsync(gate));
        Task<string> blocked = ctx.CallAsync(() => Work.BlockAtGate(gate + "-blocked"));
        Assert.Equal(7, await ctx.CallAsync(() => Echo.Add(3, 4)).WaitAsync(Bound)); // the child is busy but alive
        Assert.False(pending.IsCompleted);

        var watch = Stopwatch.StartNew();
        using (Process child = Process.GetProcessById(pid))
        {
            child.Kill();
        }

        ContextDisconnectedException ex = await Assert.ThrowsAsync<ContextDisconnectedException>(() => pending).WaitAsync(Bound);
        TimeSpan took = watch.Elapsed;
        await Assert.ThrowsAsync<ContextDisconnectedException>(() => blocked).WaitAsync(Bound);
        Assert.True(took < TimeSpan.FromSeconds(5), $"the pending call failed only after {took}");
        Assert.Equal("to-kill", ex.ContextName);
        Assert.False(string.IsNullOrEmpty(ex.Reason));

        await disconnected.Task.WaitAsync(Bound);
        Assert.True(ctx.Disconnected.IsCancellationRequested);
        Assert.Equal(ex.Reason, ctx.DisconnectReason);
        await Assert.ThrowsAsync<ContextDisconnectedException>(() => ctx.CallAsync(() => Echo.Add(1, 1))).WaitAsync(Bound);
        Assert.Throws<ContextDisconnectedException>(() => ctx.CallNoReply(() => Effects.Set("x", "y")));

        // The router and its other contexts carry on.
        Assert.Equal(3, await _fixture.Context.CallAsync(() => Echo.Add(1, 2)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Child_and_grandchild_exit_within_5_seconds_when_their_master_is_SIGKILLed()
    {
        var start = new ProcessStartInfo(TestMasterLocator.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(TestMasterLocator.DllPath());
        using Process master = Process.Start(start)!;
        var stderr = new System.Text.StringBuilder();
        master.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        master.BeginErrorReadLine();
        int childPid = 0;
        int grandchildPid = 0;
        try
        {
            string? line;
            while ((line = await master.StandardOutput.ReadLineAsync().WaitAsync(Bound)) is not null)
            {
                if (line.StartsWith("CHILD_PID=", StringComparison.Ordinal))
                {
                    childPid = int.Parse(line["CHILD_PID=".Length..], CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("GRANDCHILD_PID=", StringComparison.Ordinal))
                {
                    grandchildPid = int.Parse(line["GRANDCHILD_PID=".Length..], CultureInfo.InvariantCulture);
                    break;
                }
            }

            Assert.True(childPid > 0, "the test master printed no child pid; its stderr: " + stderr);
            Assert.True(Processes.IsRunning(childPid), "the child should be running before the master dies");

            master.Kill(); // SIGKILL: the master gets no chance to clean up
            await master.WaitForExitAsync().WaitAsync(Bound);

            Assert.True(await ProcessWatch.WaitForExitAsync(childPid, ExitDeadline), $"child {childPid} still runs 5 s after its master was SIGKILLed");
            Assert.True(grandchildPid > 0, "the test master printed no grandchild pid");
            Assert.True(await ProcessWatch.WaitForExitAsync(grandchildPid, ExitDeadline), $"grandchild {grandchildPid} still runs 5 s after the master was SIGKILLed");
        }
        finally
        {
            if (!master.HasExited)
            {
                master.Kill(entireProcessTree: true);
            }

            foreach (int pid in new[] { childPid, grandchildPid })
            {
                if (pid > 0 && Processes.IsRunning(pid))
                {
                    try
                    {
                        using Process orphan = Process.GetProcessById(pid);
                        orphan.Kill();
                    }
                    catch (ArgumentException)
                    {
                    }
                }
            }
        }
    }

    private static Task WhenCancelled(CancellationToken token)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => done.TrySetResult());
        return done.Task;
    }
}
