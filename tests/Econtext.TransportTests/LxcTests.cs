using System.Security.Cryptography;

namespace Econtext.TransportTests;

/// <summary>
/// Contexts in a running LXC system container (<c>lxc-attach</c>) of this run's own LXC path, with no
/// .NET in it: the runtime is shipped in, the context runs in the container's namespaces and files,
/// as the user asked for, with variables whose values stay off the command line; files go both ways;
/// nothing of ours stays behind after a shutdown or a SIGKILLed master; failures are classified.
/// </summary>
[Trait("Needs", "root")]
public sealed class LxcTests(LxcContainer lxc, ITestOutputHelper output) : ConnectionTest(output), IClassFixture<LxcContainer>
{
    [Fact(Timeout = 120000)]
    public async Task A_context_runs_inside_with_the_runtime_shipped_and_leaves_nothing()
    {
        int init = await lxc.InitPidAsync();
        string value = "v-" + Guid.NewGuid().ToString("N");
        string local = Path.Combine(Path.GetTempPath(), "ect-lxc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(local);
        try
        {
            List<int> attaches;

            // A cache of this test's own, so the runtime is shipped whatever ran in the container before.
            string cache = "/var/cache/ect-" + Guid.NewGuid().ToString("N")[..12];
            await using (var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache }))
            {
                Context inside = await StartAsync(
                    () => router.LxcAsync(lxc.Options(lxc.Name) with { Environment = new Dictionary<string, string> { ["ECT_VALUE"] = value } }),
                    "a context in the LXC container");
                Assert.Equal("lxc:" + lxc.Name, inside.Name);
                Assert.Equal(1, router.Statistics.RuntimesShipped);
                Assert.StartsWith(cache + "/", await inside.CallAsync(() => BareHostProbe.RuntimeDirectory()).WaitAsync(Bound), StringComparison.Ordinal);
                Assert.False(Directory.Exists(cache), "the runtime was cached on this machine, not in the container");
                Assert.Equal(LxcContainer.OsRelease, await inside.CallAsync(() => ContainerProbe.OsRelease()).WaitAsync(Bound));
                foreach (string kind in (string[])["mnt", "pid", "uts"])
                {
                    string there = await inside.CallAsync(() => ContainerProbe.Namespace(kind)).WaitAsync(Bound);
                    Assert.Equal(Processes.Namespace(init, kind), there);
                    Assert.NotEqual(Processes.Namespace(Environment.ProcessId, kind), there);
                }

                // The variable inside, its value only in lxc-attach's environment, not on its command line.
                Assert.Equal(value, await inside.CallAsync(() => Environment.GetEnvironmentVariable("ECT_VALUE")).WaitAsync(Bound));
                attaches = Processes.Descendants(Environment.ProcessId).Where(pid => Processes.CommandLine(pid).StartsWith("/usr/bin/lxc-attach ", StringComparison.Ordinal)).ToList();
                int attach = Assert.Single(attaches);
                Assert.Contains("--keep-var ECT_VALUE", Processes.CommandLine(attach), StringComparison.Ordinal);
                Assert.DoesNotContain(value, Processes.CommandLine(attach), StringComparison.Ordinal);

                byte[] data = RandomNumberGenerator.GetBytes(300_000);
                await File.WriteAllBytesAsync(Path.Combine(local, "out.bin"), data);
                await inside.PushFileAsync(Path.Combine(local, "out.bin"), "/tmp/pushed.bin").WaitAsync(Bound);
                Assert.Equal(data, await File.ReadAllBytesAsync($"/proc/{init}/root/tmp/pushed.bin"));
                await inside.FetchFileAsync("/tmp/pushed.bin", Path.Combine(local, "back.bin")).WaitAsync(Bound);
                Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(local, "back.bin")));
            }

            Assert.True(await Processes.WaitGoneAsync(attaches, Bound), "lxc-attach outlived its router");
            Assert.Empty(await Processes.WaitAloneInPidNamespaceAsync(init, Bound));
        }
        finally
        {
            Directory.Delete(local, recursive: true);
        }
    }

    [Fact(Timeout = 60000)]
    public async Task UserId_and_GroupId_set_who_runs_in_there()
    {
        await using var router = new Router();
        Context guest = await StartAsync(() => router.LxcAsync(lxc.Options(lxc.Name) with { UserId = LxcContainer.Guest.Uid, GroupId = LxcContainer.Guest.Uid }), "a context as the container's guest");
        Identity who = await guest.CallAsync(() => Probe.Whoami()).WaitAsync(Bound);
        Assert.Equal((LxcContainer.Guest.Name, LxcContainer.Guest.Uid), (who.User, who.Uid));
    }

    [Fact(Timeout = 90000)]
    public async Task The_context_ends_when_the_master_is_killed()
    {
        int init = await lxc.InitPidAsync();
        using ContainerMaster master = await ContainerMaster.StartAsync(["lxc", lxc.Name, lxc.Path], null, Bound);
        Assert.NotEmpty(Processes.OthersInPidNamespaceOf(init));

        await master.KillAsync(Bound);

        Assert.Empty(await Processes.WaitAloneInPidNamespaceAsync(init, Bound));
        Assert.DoesNotContain(Processes.All(), pid => Processes.IsRunning(pid) && Processes.CommandLine(pid).Contains($"lxc-attach -n {lxc.Name} -P {lxc.Path}", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60000)]
    public async Task A_container_that_is_not_running_is_ContainerNotRunning()
    {
        await using var router = new Router();
        ConnectionException ex = await ExpectFailureAsync(ConnectionFailure.ContainerNotRunning, () => router.LxcAsync(lxc.Options(lxc.Stopped)));
        AssertQuotes(ex, "Failed to get init pid");
    }

    [Fact(Timeout = 60000)]
    public async Task Without_lxc_attach_it_is_EngineUnavailable()
    {
        await using var router = new Router();
        ConnectionException ex = await ExpectFailureAsync(ConnectionFailure.EngineUnavailable, () => router.LxcAsync(lxc.Options(lxc.Name) with { LxcAttachPath = "/nonexistent/lxc-attach" }));
        AssertQuotes(ex, "/nonexistent/lxc-attach");
    }
}
