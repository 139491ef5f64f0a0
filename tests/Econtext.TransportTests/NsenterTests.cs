namespace Econtext.TransportTests;

/// <summary>
/// Contexts in the namespaces of a process the test starts with unshare (its own mount, pid, uts,
/// ipc and network namespaces and /proc): the context's namespaces are the target's, not the
/// test's, and nothing is left running in there or here afterwards.
/// </summary>
[Trait("Needs", "root")]
public sealed class NsenterTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 60000)]
    public async Task The_context_runs_in_every_namespace_of_the_process()
    {
        await using NamespacedProcess target = await NamespacedProcess.StartAsync(Bound);
        int host;
        int nsenter;
        await using (var router = new Router())
        {
            Context inside = await StartAsync(() => router.NsenterAsync(new NsenterOptions { Pid = target.Pid, ConnectTimeout = Connect }), "nsenter into the namespaced process");
            Assert.Equal($"nsenter:{target.Pid}", inside.Name);

            string[] namespaces = await inside.CallAsync(() => PlaceProbe.Namespaces()).WaitAsync(Bound);
            Output.WriteLine("context: " + string.Join(", ", namespaces));
            foreach (string kind in PlaceProbe.Kinds)
            {
                Assert.Contains($"{kind}={target.Namespace(kind)}", namespaces);
                Assert.NotEqual(target.Namespace(kind), NamespacedProcess.NamespaceOf(Environment.ProcessId, kind));
            }

            Assert.Equal(target.HostName, await inside.CallAsync(() => PlaceProbe.HostName()).WaitAsync(Bound));
            Assert.NotEqual(target.HostName, File.ReadAllText("/proc/sys/kernel/hostname").Trim());

            // Its own pid namespace: it sees the sleep as pid 1 and itself, nothing of this side.
            int self = await inside.CallAsync(() => PlaceProbe.ProcessId()).WaitAsync(Bound);
            Assert.Equal(inside.RemoteProcessId, self);
            Assert.Equal([1, self], await inside.CallAsync(() => PlaceProbe.VisibleProcesses()).WaitAsync(Bound));
            Assert.Equal("0 0", await inside.CallAsync(() => PlaceProbe.Ids()).WaitAsync(Bound));
            Assert.Equal(42, await inside.CallAsync(() => Probe.Add(40, 2)).WaitAsync(Bound));

            // Seen from here: one process in there besides the sleep, the context, whose parent is nsenter.
            host = Assert.Single(target.Others());
            nsenter = Processes.ParentOf(host) ?? 0;
            Assert.StartsWith($"nsenter --target {target.Pid} ", Processes.CommandLine(nsenter), StringComparison.Ordinal);
            Assert.Equal(0, router.Statistics.RuntimesShipped);
        }

        Assert.True(await Processes.WaitGoneAsync([host, nsenter], Bound), $"the context {host} or nsenter {nsenter} still runs after the router was disposed");
        Assert.Empty(target.Others());
        Assert.True(Processes.IsRunning(target.Pid), "the namespaced process itself should not be touched");
    }

    [Fact(Timeout = 60000)]
    public async Task UserId_and_GroupId_set_who_runs_in_there()
    {
        TestUser user = Hosts.NotSudoer;
        await using NamespacedProcess target = await NamespacedProcess.StartAsync(Bound);
        await using var router = new Router();
        Context inside = await StartAsync(
            () => router.NsenterAsync(new NsenterOptions { Pid = target.Pid, UserId = user.Uid, GroupId = user.Uid + 1000, ConnectTimeout = Connect }),
            "nsenter as another user");

        Assert.Equal($"{user.Uid} {user.Uid + 1000}", await inside.CallAsync(() => PlaceProbe.Ids()).WaitAsync(Bound));
        Assert.Equal(user.Uid, Processes.UidOf(Assert.Single(target.Others())));
        Assert.Equal(target.HostName, await inside.CallAsync(() => PlaceProbe.HostName()).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task NsenterArgs_net_enters_only_the_network_namespace()
    {
        await using NamespacedProcess target = await NamespacedProcess.StartAsync(Bound);
        await using var router = new Router();
        Context inside = await StartAsync(() => router.NsenterAsync(new NsenterOptions { Pid = target.Pid, NsenterArgs = ["--net"], ConnectTimeout = Connect }), "nsenter --net");

        string[] namespaces = await inside.CallAsync(() => PlaceProbe.Namespaces()).WaitAsync(Bound);
        Output.WriteLine("context: " + string.Join(", ", namespaces));
        Assert.Contains($"net={target.Namespace("net")}", namespaces);
        foreach (string kind in PlaceProbe.Kinds.Where(k => k != "net"))
        {
            Assert.Contains($"{kind}={NamespacedProcess.NamespaceOf(Environment.ProcessId, kind)}", namespaces);
        }

        Assert.Equal(File.ReadAllText("/proc/sys/kernel/hostname").Trim(), await inside.CallAsync(() => PlaceProbe.HostName()).WaitAsync(Bound));
        Assert.Empty(target.Others());
        Assert.True(Processes.IsRunning(inside.RemoteProcessId), "in this pid namespace, the context's pid is its pid here");
    }

    [Fact(Timeout = 60000)]
    public async Task A_process_that_does_not_exist_is_ContainerNotFound()
    {
        int gone = await GonePidAsync();
        await using var router = new Router();

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.ContainerNotFound,
            () => router.NsenterAsync(new NsenterOptions { Pid = gone, ConnectTimeout = Connect }));

        AssertQuotes(ex, $"nsenter: stat of /proc/{gone}/ns/");
        AssertQuotes(ex, "No such file or directory");
    }

    [Fact(Timeout = 60000)]
    public async Task As_a_user_who_is_not_root_it_is_NotPermitted()
    {
        await using NamespacedProcess target = await NamespacedProcess.StartAsync(Bound);
        await using var router = new Router();
        Context user = await StartAsync(() => router.SudoAsync(new SudoOptions { User = Hosts.NotSudoer.Name, ConnectTimeout = Connect }), "sudo to a user who is not root");

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.NotPermitted,
            () => router.NsenterAsync(new NsenterOptions { Pid = target.Pid, ConnectTimeout = Connect, Via = user }));

        AssertQuotes(ex, "Permission denied");
        AssertQuotes(ex, "nsenter:");
        Assert.Empty(target.Others());
    }

    /// <summary>The master itself is SIGKILLed (a process of its own): its context and nsenter exit, and the namespace holds only what it held before.</summary>
    [Fact(Timeout = 60000)]
    public async Task The_context_ends_when_the_master_is_killed()
    {
        await using NamespacedProcess target = await NamespacedProcess.StartAsync(Bound);
        using ContainerMaster master = await ContainerMaster.StartAsync(["nsenter", target.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], null, Bound);
        int context = Assert.Single(target.Others());

        await master.KillAsync(Bound);

        Assert.True(await Processes.WaitGoneAsync([context], Bound), $"the context {context} outlived its SIGKILLed master by {Bound.TotalSeconds} s");
        Assert.Empty(target.Others());
        Assert.DoesNotContain(Processes.All(), p => Processes.IsRunning(p) && Processes.CommandLine(p).StartsWith($"nsenter --target {target.Pid} ", StringComparison.Ordinal));
        Assert.True(Processes.IsRunning(target.Pid), "the namespaced process itself should not be touched");
    }

    /// <summary>The pid of a process that ran and is gone (pids are not reused until the range wraps).</summary>
    private static async Task<int> GonePidAsync()
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        await process.WaitForExitAsync().WaitAsync(Bound);
        int pid = process.Id;
        Assert.False(Processes.IsRunning(pid));
        return pid;
    }
}
