namespace Econtext.IntegrationTests;

/// <summary>
/// A context that stops answering (SIGSTOP, a hung host behind a live transport) fails its calls
/// after the heartbeat timeout with a reason that says so, and its process is ended; a context that
/// is merely busy is never taken for gone.
/// </summary>
public sealed class HeartbeatTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Short enough for a test, long enough that a loaded test machine never trips it by itself.</summary>
    private static readonly RouterOptions Quick = new()
    {
        HeartbeatInterval = TimeSpan.FromMilliseconds(500),
        HeartbeatTimeout = TimeSpan.FromSeconds(2),
        ShutdownGracePeriod = TimeSpan.FromSeconds(1),
    };

    [Fact(Timeout = 90000)]
    public async Task A_stopped_context_fails_its_pending_call_naming_the_heartbeat_and_is_ended()
    {
        await using var router = new Router(Quick);
        Context frozen = await router.LocalAsync(new LocalOptions { Name = "frozen" }).WaitAsync(Bound);
        int pid = frozen.RemoteProcessId;
        Assert.Equal(pid, await frozen.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));

        string gate = "stopped-" + Guid.NewGuid();
        Task<string> pending = frozen.CallAsync(() => Work.WaitAtGateAsync(gate));
        using (await Frozen.StopAsync(pid, Bound))
        {
            ContextDisconnectedException ex = await Assert.ThrowsAsync<ContextDisconnectedException>(() => pending).WaitAsync(Bound);
            output.WriteLine(ex.Message);
            Assert.Equal("frozen", ex.ContextName);
            Assert.Contains("no answer to heartbeats", ex.Reason, StringComparison.Ordinal);
            Assert.Contains("the context is stopped or hung", ex.Reason, StringComparison.Ordinal);
            Assert.True(frozen.Disconnected.IsCancellationRequested);

            // Still stopped: the router ends it by itself (SIGKILL after the grace periods).
            Assert.True(await ProcessWatch.WaitForExitAsync(pid, Bound), $"the stopped context {pid} was left running");
        }

        Assert.Empty(router.Contexts);
    }

    [Fact(Timeout = 120000)]
    public async Task A_stopped_context_behind_an_intermediate_fails_its_call_and_the_intermediate_stays_healthy()
    {
        await using var router = new Router(Quick);
        Context middle = await router.LocalAsync(new LocalOptions { Name = "middle" }).WaitAsync(Bound);
        Context leaf = await router.LocalAsync(new LocalOptions { Name = "leaf", Via = middle }).WaitAsync(Bound);
        int leafPid = leaf.RemoteProcessId;
        Assert.Equal(leafPid, await leaf.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));

        Task<string> pending = leaf.CallAsync(() => Work.WaitAtGateAsync("leaf-" + Guid.NewGuid()));
        using (await Frozen.StopAsync(leafPid, Bound))
        {
            // Found by the intermediate, with the master's settings, and reported up.
            ContextDisconnectedException ex = await Assert.ThrowsAsync<ContextDisconnectedException>(() => pending).WaitAsync(Bound);
            output.WriteLine(ex.Message);
            Assert.Equal("leaf", ex.ContextName);
            Assert.Contains("no answer to heartbeats", ex.Reason, StringComparison.Ordinal);
            Assert.Contains("HeartbeatTimeout is 2 s", ex.Reason, StringComparison.Ordinal);

            Assert.False(middle.Disconnected.IsCancellationRequested, "the intermediate was reported gone");
            Assert.Equal(middle.RemoteProcessId, await middle.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
            Assert.True(await ProcessWatch.WaitForExitAsync(leafPid, Bound), $"the stopped leaf {leafPid} was left running");
        }

        Assert.Equal(new[] { middle }, router.Contexts.ToArray());
    }

    [Fact(Timeout = 120000)]
    public async Task A_context_busy_for_longer_than_the_timeout_is_not_taken_for_gone()
    {
        await using var router = new Router(Quick);
        Context busy = await router.LocalAsync(new LocalOptions { Name = "busy" }).WaitAsync(Bound);
        Assert.Equal(busy.RemoteProcessId, await busy.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));

        // More spinning threads than cores, and more blocked threads than the receive loop lends to:
        // the rest queue for the thread pool, which grows slowly. Twice the heartbeat timeout.
        const int Busy4s = 4000;
        var calls = new List<Task<long>>();
        for (int i = 0; i < 4; i++)
        {
            calls.Add(busy.CallAsync(() => Busy.Spin(Busy4s)));
            calls.Add(busy.CallAsync(() => Busy.Block(Busy4s)));
        }

        long[] results = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(results, r => Assert.True(r > 0));
        Assert.False(busy.Disconnected.IsCancellationRequested, "the busy context was reported gone: " + busy.DisconnectReason);
        Assert.Equal(busy.RemoteProcessId, await busy.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
    }

    /// <summary>
    /// HEARTBEAT is answered only from the parent, HEARTBEAT_ACK taken only from a direct child: a
    /// compromised context cannot make the master or its own parent answer it, nor speak for another.
    /// </summary>
    [Fact(Timeout = 90000)]
    public async Task Heartbeats_from_below_and_acks_for_another_context_are_refused()
    {
        await using var router = new Router(Quick);
        Context a = await router.LocalAsync(new LocalOptions { Name = "a" }).WaitAsync(Bound);
        Context b = await router.LocalAsync(new LocalOptions { Name = "b", Via = a }).WaitAsync(Bound);
        long before = router.Statistics.MessagesDropped;
        const int Heartbeat = 17;
        const int HeartbeatAck = 18;
        const int Dead = 2;

        ForgedFrame[] fromA = [new(0, a.Id, a.Id, Heartbeat, 0, [], AnswerFrom: 0)];
        ForgedFrame[] fromB =
        [
            new(a.Id, b.Id, b.Id, Heartbeat, 0, [], AnswerFrom: a.Id),
            new(0, b.Id, b.Id, HeartbeatAck, 0, [], AnswerFrom: 0),
        ];
        ForgedAnswer[] answers = [
            .. await a.CallAsync(() => Attacks.Forge(fromA, 10_000)).WaitAsync(Bound),
            .. await b.CallAsync(() => Attacks.Forge(fromB, 10_000)).WaitAsync(Bound)];

        string[] refusers = ["master", "a", "master"];
        for (int i = 0; i < answers.Length; i++)
        {
            Assert.True(
                answers[i].Arrived && (answers[i].Flags & Dead) != 0 && answers[i].Text.StartsWith("refused by " + refusers[i] + ":", StringComparison.Ordinal),
                $"frame {i}: expected a refusal by {refusers[i]}, got {(answers[i].Arrived ? answers[i].Text : "no answer")}");
        }

        Assert.True(router.Statistics.MessagesDropped - before >= 2, "the master did not count its two refusals");
        Assert.Equal(b.RemoteProcessId, await b.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
        Assert.Equal(a.RemoteProcessId, await a.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
    }

    [Fact(Timeout = 30000)]
    public Task Heartbeats_are_on_by_default()
    {
        var options = new RouterOptions();
        Assert.Equal(TimeSpan.FromSeconds(10), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.HeartbeatTimeout);
        return Task.CompletedTask;
    }

    [Theory(Timeout = 30000)]
    [InlineData(5000, 5000, "HeartbeatTimeout must be longer than HeartbeatInterval (5 s)")]
    [InlineData(10000, 3000, "HeartbeatTimeout must be longer than HeartbeatInterval (10 s)")]
    [InlineData(-5, 3000, "HeartbeatInterval must be between 10 ms and 24 days")]
    [InlineData(1, 3000, "HeartbeatInterval must be between 10 ms and 24 days")]
    public Task Unworkable_heartbeat_settings_are_refused_saying_which_and_why(int intervalMs, int timeoutMs, string expected)
    {
        var options = new RouterOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(intervalMs), HeartbeatTimeout = TimeSpan.FromMilliseconds(timeoutMs) };
        ArgumentOutOfRangeException ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Router(options));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        return Task.CompletedTask;
    }

    [Fact(Timeout = 60000)]
    public async Task Heartbeats_can_be_turned_off()
    {
        await using var router = new Router(new RouterOptions { HeartbeatInterval = Timeout.InfiniteTimeSpan, HeartbeatTimeout = TimeSpan.Zero });
        Context context = await router.LocalAsync().WaitAsync(Bound);
        Assert.Equal(context.RemoteProcessId, await context.CallAsync(() => Probe.ProcessId()).WaitAsync(Bound));
    }
}
