namespace Econtext.TransportTests;

/// <summary>
/// The far end of a live ssh connection stops answering (a hung host): the sshd session process
/// that serves the context is stopped with SIGSTOP, so the TCP connection stays up and nothing
/// comes back. ssh's keepalive, or else Econtext's heartbeat, must end the context's calls with a
/// reason that says what happened, in ssh's own words when ssh noticed.
/// </summary>
public sealed class SshUnresponsiveTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    private const int SigStop = 19;
    private const int SigCont = 18;

    [Fact(Timeout = 90000)]
    public async Task Ssh_keepalive_timeout_reaches_the_disconnect_reason_in_ssh_own_words()
    {
        // Our heartbeat off: the only thing that can notice is ssh's keepalive (user arguments win).
        await using var router = new Router(new RouterOptions { HeartbeatInterval = Timeout.InfiniteTimeSpan });
        SshOptions options = Hosts.Ssh(Hosts.Key);
        Context web = await StartAsync(
            () => router.SshAsync(options with { SshArgs = [.. options.SshArgs, "-o", "ServerAliveInterval=1", "-o", "ServerAliveCountMax=1"] }),
            "an ssh context");

        ContextDisconnectedException ex = await FreezeSessionAndAwaitFailureAsync(web);

        // OpenSSH: "Timeout, server 127.0.0.1 not responding."
        Assert.Contains("Timeout, server", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("not responding", ex.Reason, StringComparison.Ordinal);
        Assert.Contains("exited with code 255", ex.Reason, StringComparison.Ordinal);
    }

    [Fact(Timeout = 90000)]
    public async Task Without_ssh_keepalive_the_heartbeat_ends_a_context_whose_host_hangs()
    {
        await using var router = new Router(new RouterOptions
        {
            HeartbeatInterval = TimeSpan.FromMilliseconds(500),
            HeartbeatTimeout = TimeSpan.FromSeconds(2),
            ShutdownGracePeriod = TimeSpan.FromSeconds(1),
        });
        Context web = await StartAsync(() => router.SshAsync(Hosts.Ssh(Hosts.Key) with { KeepAliveInterval = TimeSpan.Zero }), "an ssh context");

        ContextDisconnectedException ex = await FreezeSessionAndAwaitFailureAsync(web);

        Assert.Contains("no answer to heartbeats", ex.Reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// Stops the sshd session process serving <paramref name="web"/> while a call is pending, waits
    /// for the call to fail, then lets the session go on and checks that the context's process ends.
    /// </summary>
    private async Task<ContextDisconnectedException> FreezeSessionAndAwaitFailureAsync(Context web)
    {
        int pid = web.RemoteProcessId;
        Assert.Equal(3, await web.CallAsync(() => Probe.Add(1, 2)).WaitAsync(Bound));
        int session = SessionOf(pid);
        Output.WriteLine($"context {pid}, sshd session {session}: {Processes.CommandLine(session)}");

        // This router's ssh client: not those of the econtext agent the CLI tests may have started (it can be adopted by this process).
        int[] clients = Processes.Descendants(Environment.ProcessId)
            .Where(p => Processes.CommandLine(p).StartsWith("ssh ", StringComparison.Ordinal) && Processes.ParentOf(p) == Environment.ProcessId)
            .ToArray();
        Assert.Single(clients);
        Task<int> pending = web.CallAsync(() => Probe.SleepAsync(60_000));
        Processes.Signal(session, SigStop);
        try
        {
            ContextDisconnectedException ex = await Assert.ThrowsAsync<ContextDisconnectedException>(() => pending).WaitAsync(Bound);
            Output.WriteLine(ex.Message);
            Assert.True(web.Disconnected.IsCancellationRequested);

            // The ssh client is gone too, whether it ended itself or the router ended it.
            Assert.True(await Processes.WaitGoneAsync(clients, Bound), $"the ssh client {clients[0]} still runs");
            return ex;
        }
        finally
        {
            // Thawed, the session finds its client gone and closes the context's pipes.
            Processes.Signal(session, SigCont);
            Assert.True(await Processes.WaitGoneAsync([pid], Bound), $"context process {pid} still runs after its session was thawed");
        }
    }

    /// <summary>The nearest ancestor of <paramref name="pid"/> that is an sshd session process ("sshd: user@notty").</summary>
    private static int SessionOf(int pid)
    {
        for (int? p = Processes.ParentOf(pid); p is { } current && current > 1; p = Processes.ParentOf(current))
        {
            if (Processes.CommandLine(current).StartsWith("sshd: ", StringComparison.Ordinal))
            {
                return current;
            }
        }

        throw new InvalidOperationException($"no sshd session process above {pid}");
    }
}
