using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Econtext.TransportTests;

/// <summary>
/// What a context in a container must do, written once and run per engine by <see cref="PodmanTests"/>
/// and <see cref="DockerTests"/> against the images and containers of the engine's fixture (no .NET
/// in any of them): the runtime is shipped in and cached (and a container given .NET uses its own), the context really runs inside (the
/// image's files, the container's namespaces), as the user and in the directory asked for, with
/// variables whose values stay off the engine's command line; files go both ways; nothing is left
/// inside or outside after a shutdown or a master killed with SIGKILL; and each way it can fail is
/// classified, quoting the engine's own words.
/// </summary>
public abstract class ContainerSuite(ContainerEngine engine, ITestOutputHelper output) : ConnectionTest(output)
{
    protected ContainerEngine Engine { get; } = engine;

    /// <summary>The options with the engine's program replaced by <paramref name="path"/>.</summary>
    protected abstract ContainerOptions WithProgram(ContainerOptions options, string path);

    /// <summary>What the engine says when there is no container <paramref name="container"/>.</summary>
    protected abstract string NotFoundWords(string container);

    /// <summary>What the engine says when the container is not running.</summary>
    protected abstract string NotRunningWords { get; }

    protected Task<Context> ConnectAsync(Router router, ContainerOptions options) =>
        StartAsync(() => ContainerEngine.ConnectAsync(router, options), $"a context in {options.Container}");

    /// <summary>Checked with the engine alone, no Econtext: says whether a failure is the transport's or the fixture's.</summary>
    [Fact(Timeout = 60000)]
    public async Task Fixture_containers_are_what_the_tests_expect()
    {
        Assert.True(await Engine.IsRunningAsync(Engine.Running));
        Assert.False(await Engine.IsRunningAsync(Engine.Exited));
        Assert.Equal(Engine.OsRelease, (await Engine.CheckAsync("exec", Engine.Running, "/bin/cat", "/etc/os-release")) + "\n");
        Assert.Equal(string.Empty, await Engine.CheckAsync("exec", Engine.Running, "/bin/sh", "-c", "command -v dotnet; ls /usr/share/dotnet /usr/lib/dotnet 2>/dev/null; true"));
        Assert.NotEqual(0, (await Engine.RunAsync("exec", Engine.ReadOnly, "/bin/sh", "-c", "echo x >/probe")).ExitCode);
        Assert.Equal(0, (await Engine.RunAsync("exec", Engine.ReadOnly, "/bin/sh", "-c", "echo x >/tmp/probe && rm /tmp/probe")).ExitCode);
        Assert.NotEqual(0, (await Engine.RunAsync("exec", Engine.NoShell, "/bin/sh", "-c", "true")).ExitCode);
        Assert.Equal("absent", await Engine.CheckAsync("exec", Engine.NoCppRuntime, "/bin/sh", "-c", "for f in /usr/lib/*/libstdc++*; do [ -e \"$f\" ] && exit 0; done; echo absent"));
        Assert.Equal("present", await Engine.CheckAsync("exec", Engine.Running, "/bin/sh", "-c", "for f in /usr/lib/*/libstdc++*; do [ -e \"$f\" ] && echo present && exit 0; done"));
    }

    [Fact(Timeout = 120000)]
    public async Task Without_dotnet_in_the_image_the_runtime_is_shipped_in_once_and_the_context_runs_inside()
    {
        const string cache = "~/.cache/econtext/t-ship";
        Output.WriteLine($"{Engine.Engine} fixture set-up (engine, 3 images, 5 containers): {Engine.SetupTime.TotalSeconds:0.0} s");
        int main = await Engine.MainPidAsync(Engine.Running);
        string runtime;
        await using (var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache }))
        {
            Context inside = await ConnectAsync(router, Engine.Options(Engine.Running));
            Assert.Equal($"{Engine.Engine}:{Engine.Running}", inside.Name);
            Assert.Equal(1, router.Statistics.RuntimesShipped);
            Assert.InRange(router.Statistics.RuntimeBytesSent, 1_000_000, 40_000_000);
            Assert.Equal(42, await inside.CallAsync(() => Probe.Add(40, 2)).WaitAsync(Bound));

            // The image's files, the container's namespaces: not this machine's, and the same as its main process's.
            Assert.Equal(Engine.OsRelease, await inside.CallAsync(() => ContainerProbe.OsRelease()).WaitAsync(Bound));
            foreach (string kind in (string[])["mnt", "pid"])
            {
                string there = await inside.CallAsync(() => ContainerProbe.Namespace(kind)).WaitAsync(Bound);
                Output.WriteLine($"{kind}: here {Processes.Namespace(Environment.ProcessId, kind)}, inside {there}");
                Assert.NotEqual(Processes.Namespace(Environment.ProcessId, kind), there);
                Assert.Equal(Processes.Namespace(main, kind), there);
            }

            // Cached in the container's file system (root's home there), not on this machine.
            runtime = await inside.CallAsync(() => BareHostProbe.RuntimeDirectory()).WaitAsync(Bound);
            Output.WriteLine($"runtime sent: {router.Statistics.RuntimeBytesSent} bytes, runs from {runtime}");
            Assert.StartsWith("/root/.cache/econtext/t-ship/", runtime, StringComparison.Ordinal);
            Assert.True(File.Exists($"/proc/{main}/root{runtime}/libcoreclr.so"), $"no libcoreclr.so in the container's {runtime}");
            Assert.False(Directory.Exists("/root/.cache/econtext/t-ship"), "the runtime was cached on this machine, not in the container");
        }

        await using (var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache }))
        {
            Context again = await ConnectAsync(router, Engine.Options(Engine.Running));
            Assert.Equal(5, await again.CallAsync(() => Probe.Add(2, 3)).WaitAsync(Bound));
            Assert.Equal(0, router.Statistics.RuntimesShipped);
            Assert.Equal(0, router.Statistics.RuntimeBytesSent);
            Assert.Equal(runtime, await again.CallAsync(() => BareHostProbe.RuntimeDirectory()).WaitAsync(Bound));
        }
    }

    [Fact(Timeout = 60000)]
    public async Task Runs_as_the_user_given_by_name_or_by_uid()
    {
        await using var router = new Router();
        Context nobody = await ConnectAsync(router, Engine.Options(Engine.Running) with { User = "nobody", Name = "as-nobody" });
        Identity who = await nobody.CallAsync(() => Probe.Whoami()).WaitAsync(Bound);
        Assert.Equal(("nobody", 65534), (who.User, who.Uid));

        // nobody's home (/nonexistent) cannot hold the cache: a private folder under /tmp does.
        Assert.StartsWith("/tmp/econtext-runtime.65534/", await nobody.CallAsync(() => BareHostProbe.RuntimeDirectory()).WaitAsync(Bound), StringComparison.Ordinal);

        RootfsUser guest = ContainerEngine.Guest;
        Context byUid = await ConnectAsync(router, Engine.Options(Engine.Running) with { User = guest.Uid.ToString(CultureInfo.InvariantCulture), Name = "as-uid" });
        who = await byUid.CallAsync(() => Probe.Whoami()).WaitAsync(Bound);
        Assert.Equal((guest.Name, guest.Uid), (who.User, who.Uid));

        // Seen from this machine: the contexts' processes in the container run as those uids (no user namespace here).
        Assert.Equal(65534, Processes.UidOf(await HostPidAsync(nobody)));
        Assert.Equal(guest.Uid, Processes.UidOf(await HostPidAsync(byUid)));
    }

    [Fact(Timeout = 60000)]
    public async Task Working_directory_and_variables_arrive_inside_and_values_stay_off_the_command_line()
    {
        string value = "v " + Guid.NewGuid().ToString("N") + " '$\"!;&\\";
        await using var router = new Router();
        Context inside = await ConnectAsync(router, Engine.Options(Engine.Running) with
        {
            WorkingDirectory = "/etc",
            Environment = new Dictionary<string, string> { ["ECT_VALUE"] = value, ["ECT_EMPTY"] = string.Empty },
        });

        Assert.Equal("/etc", await inside.CallAsync(() => ContainerProbe.CurrentDirectory()).WaitAsync(Bound));
        Assert.Equal(value, await inside.CallAsync(() => ContainerProbe.Variable("ECT_VALUE")).WaitAsync(Bound));
        Assert.Equal(string.Empty, await inside.CallAsync(() => ContainerProbe.Variable("ECT_EMPTY")).WaitAsync(Bound));

        // The engine process, while connected: the variable named in its argv, valued only in its environment.
        int exec = Assert.Single(ExecProcesses(Environment.ProcessId, Engine.Running));
        string[] argv = ReadNulSeparated($"/proc/{exec}/cmdline");
        Output.WriteLine("engine argv: " + string.Join(' ', argv.Take(argv.Length - 1)) + " <stage 0>");
        int named = Array.IndexOf(argv, "ECT_VALUE");
        Assert.True(named > 0 && argv[named - 1] == "--env", "ECT_VALUE is not named with --env");
        Assert.DoesNotContain(argv, a => a.Contains(value, StringComparison.Ordinal));
        Assert.Contains("ECT_VALUE=" + value, ReadNulSeparated($"/proc/{exec}/environ"));
    }

    [Fact(Timeout = 60000)]
    public async Task Files_are_pushed_in_and_fetched_out()
    {
        string local = Path.Combine(Path.GetTempPath(), $"ect-{Engine.Engine}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(local);
        try
        {
            byte[] data = RandomNumberGenerator.GetBytes(300_000);
            await File.WriteAllBytesAsync(Path.Combine(local, "out.bin"), data);
            await using var router = new Router();
            Context inside = await ConnectAsync(router, Engine.Options(Engine.Running));

            await inside.PushFileAsync(Path.Combine(local, "out.bin"), "/tmp/pushed.bin").WaitAsync(Bound);
            int main = await Engine.MainPidAsync(Engine.Running);
            Assert.Equal(data, await File.ReadAllBytesAsync($"/proc/{main}/root/tmp/pushed.bin"));
            Assert.False(File.Exists("/tmp/pushed.bin"), "the file landed on this machine's /tmp");

            // Made inside by the engine itself, fetched out through the context.
            await Engine.CheckAsync("exec", Engine.Running, "/bin/sh", "-c", "seq 1 20000 >/tmp/made-inside.txt");
            await inside.FetchFileAsync("/tmp/made-inside.txt", Path.Combine(local, "back.txt")).WaitAsync(Bound);
            Assert.Equal(string.Concat(Enumerable.Range(1, 20000).Select(i => i + "\n")), await File.ReadAllTextAsync(Path.Combine(local, "back.txt")));
        }
        finally
        {
            Directory.Delete(local, recursive: true);
            await Engine.RunAsync("exec", Engine.Running, "/bin/rm", "-f", "/tmp/pushed.bin", "/tmp/made-inside.txt");
        }
    }

    [Fact(Timeout = 120000)]
    public async Task In_a_read_only_container_the_runtime_goes_under_tmp()
    {
        string first;
        await using (var router = new Router())
        {
            Context inside = await ConnectAsync(router, Engine.Options(Engine.ReadOnly));
            Assert.False(await inside.CallAsync(() => ContainerProbe.RootWritable()).WaitAsync(Bound), "the container's root file system takes files: the fixture did not make it read-only");
            first = await inside.CallAsync(() => BareHostProbe.RuntimeDirectory()).WaitAsync(Bound);
            Output.WriteLine("runs from " + first);
            Assert.StartsWith("/tmp/econtext-runtime.0/", first, StringComparison.Ordinal);
            Assert.Equal(1, router.Statistics.RuntimesShipped);
        }

        await using (var router = new Router())
        {
            Context again = await ConnectAsync(router, Engine.Options(Engine.ReadOnly));
            Assert.Equal(first, await again.CallAsync(() => BareHostProbe.RuntimeDirectory()).WaitAsync(Bound));
            Assert.Equal(0, router.Statistics.RuntimesShipped);
        }
    }

    [Fact(Timeout = 60000)]
    public async Task Nothing_is_left_inside_or_outside_after_a_shutdown_and_the_container_runs_on()
    {
        var router = new Router();
        List<int> execs;
        try
        {
            Context first = await ConnectAsync(router, Engine.Options(Engine.Running) with { Name = "first" });
            Context second = await ConnectAsync(router, Engine.Options(Engine.Running) with { Name = "second" });
            execs = ExecProcesses(Environment.ProcessId, Engine.Running);
            Assert.Equal(2, execs.Count);
            int firstInside = await HostPidAsync(first);
            int secondInside = await HostPidAsync(second);

            await first.ShutdownAsync().WaitAsync(Bound);
            Assert.True(await Processes.WaitGoneAsync([firstInside], Bound), "the context shut down still runs in the container");
            Assert.Equal(7, await second.CallAsync(() => Probe.Add(3, 4)).WaitAsync(Bound));
            Assert.Single(ExecProcesses(Environment.ProcessId, Engine.Running));
            Assert.True(Processes.IsRunning(secondInside));
        }
        finally
        {
            await router.DisposeAsync();
        }

        Assert.True(await Processes.WaitGoneAsync(execs, Bound), $"{Engine.Engine} exec still runs after the router was disposed");
        await AssertNothingLeftAsync();
    }

    [Fact(Timeout = 60000)]
    public async Task When_the_master_is_killed_nothing_stays_inside_or_outside()
    {
        using ContainerMaster master = await ContainerMaster.StartAsync(Engine, Engine.Running, Bound);
        List<int> execs = ExecProcesses(master.ProcessId, Engine.Running);
        Assert.Single(execs);
        int? inside = await Engine.HostPidAsync(Engine.Running, master.ContextPid);
        Assert.True(inside is not null, $"no process {master.ContextPid} in {Engine.Running}");

        await master.KillAsync(Bound);

        Assert.True(await Processes.WaitGoneAsync(execs, Bound), $"{Engine.Engine} exec outlived its master by {Bound.TotalSeconds} s");
        await AssertNothingLeftAsync();
    }

    [Fact(Timeout = 60000)]
    public async Task With_dotnet_in_the_container_the_context_uses_it_and_nothing_is_shipped()
    {
        // This machine's .NET, mounted read-only where stage 0 looks in a container: an image with .NET.
        string dotnetRoot = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "../../.."));
        string container = $"ect-{Engine.RunId}-withdotnet";
        await Engine.CheckAsync("run", "-d", "--network", "none", "--name", container, "-v", $"{dotnetRoot}:/usr/share/dotnet:ro", Engine.ImageNoDotnet, "sleep", "infinity");
        try
        {
            await using var router = new Router();
            Context inside = await ConnectAsync(router, Engine.Options(container));

            Assert.Equal(Engine.OsRelease, await inside.CallAsync(() => ContainerProbe.OsRelease()).WaitAsync(Bound));
            Assert.StartsWith("/usr/share/dotnet/shared/Microsoft.NETCore.App/", await inside.CallAsync(() => BareHostProbe.RuntimeDirectory()).WaitAsync(Bound), StringComparison.Ordinal);
            Assert.Equal(0, router.Statistics.RuntimesShipped);
            Assert.Equal(0, router.Statistics.RuntimeBytesSent);
        }
        finally
        {
            await Engine.RunAsync("rm", "--force", container);
        }
    }

    [Fact(Timeout = 60000)]
    public async Task When_the_container_stops_the_context_is_disconnected()
    {
        string container = $"ect-{Engine.RunId}-stopping";
        await Engine.CheckAsync("run", "-d", "--network", "none", "--name", container, Engine.ImageNoDotnet, "sleep", "infinity");
        try
        {
            await using var router = new Router();
            Context inside = await ConnectAsync(router, Engine.Options(container));
            Assert.Equal(3, await inside.CallAsync(() => Probe.Add(1, 2)).WaitAsync(Bound));
            int exec = Assert.Single(ExecProcesses(Environment.ProcessId, container));
            Task<int> pending = inside.CallAsync(() => Probe.SleepAsync(60_000));

            await Engine.CheckAsync("stop", "--time", "0", container);

            await Task.Delay(Timeout.Infinite, inside.Disconnected).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(Bound);
            Output.WriteLine("DisconnectReason: " + inside.DisconnectReason);
            Assert.Contains($"{Engine.Engine} ", inside.DisconnectReason, StringComparison.Ordinal);
            Assert.Contains("if the container stopped, start it and connect again", inside.DisconnectReason, StringComparison.Ordinal);
            await Assert.ThrowsAsync<ContextDisconnectedException>(() => pending).WaitAsync(Bound);
            await Assert.ThrowsAsync<ContextDisconnectedException>(() => inside.CallAsync(() => Probe.Add(1, 2))).WaitAsync(Bound);
            Assert.True(await Processes.WaitGoneAsync([exec], Bound), $"{Engine.Engine} exec outlived the container");
        }
        finally
        {
            await Engine.RunAsync("rm", "--force", container);
        }
    }

    [Fact(Timeout = 60000)]
    public async Task Through_a_local_context_the_engine_runs_there()
    {
        await using var router = new Router();
        Context hop = await StartAsync(() => router.LocalAsync(new LocalOptions { Name = "hop" }), "local hop");
        Context inside = await ConnectAsync(router, Engine.Options(Engine.Running) with { Via = hop });

        Assert.Equal($"{Engine.Engine}:{Engine.Running}@hop", inside.Name);
        Assert.Equal(Engine.OsRelease, await inside.CallAsync(() => ContainerProbe.OsRelease()).WaitAsync(Bound));
        Assert.NotEqual(await hop.CallAsync(() => ContainerProbe.Namespace("mnt")).WaitAsync(Bound), await inside.CallAsync(() => ContainerProbe.Namespace("mnt")).WaitAsync(Bound));
        Assert.Single(ExecProcesses(hop.RemoteProcessId, Engine.Running));
        Assert.Empty(ExecProcesses(Environment.ProcessId, Engine.Running).Except(ExecProcesses(hop.RemoteProcessId, Engine.Running)));
    }

    [Fact(Timeout = 60000)]
    public async Task No_such_container_is_ContainerNotFound()
    {
        string missing = $"ect-{Engine.RunId}-missing";
        await using var router = new Router();
        ConnectionException ex = await ExpectFailureAsync(ConnectionFailure.ContainerNotFound, () => ContainerEngine.ConnectAsync(router, Engine.Options(missing)));
        AssertQuotes(ex, NotFoundWords(missing));
    }

    [Fact(Timeout = 60000)]
    public async Task An_exited_container_is_ContainerNotRunning()
    {
        await using var router = new Router();
        ConnectionException ex = await ExpectFailureAsync(ConnectionFailure.ContainerNotRunning, () => ContainerEngine.ConnectAsync(router, Engine.Options(Engine.Exited)));
        AssertQuotes(ex, NotRunningWords);
    }

    [Fact(Timeout = 60000)]
    public async Task An_unknown_user_is_UserUnknown()
    {
        await using var router = new Router();
        ConnectionException ex = await ExpectFailureAsync(ConnectionFailure.UserUnknown, () => ContainerEngine.ConnectAsync(router, Engine.Options(Engine.Running) with { User = "no-such-user" }));
        AssertQuotes(ex, "unable to find user no-such-user: no matching entries in passwd file");
    }

    [Fact(Timeout = 60000)]
    public async Task An_image_without_sh_is_ShellNotFound()
    {
        await using var router = new Router();
        ConnectionException ex = await ExpectFailureAsync(ConnectionFailure.ShellNotFound, () => ContainerEngine.ConnectAsync(router, Engine.Options(Engine.NoShell)));
        AssertQuotes(ex, "stat /bin/sh: no such file or directory");
    }

    [Fact(Timeout = 60000)]
    public async Task An_image_without_libstdcxx_is_RuntimeDependencyMissing()
    {
        await using var router = new Router();
        ConnectionException ex = await ExpectFailureAsync(ConnectionFailure.RuntimeDependencyMissing, () => ContainerEngine.ConnectAsync(router, Engine.Options(Engine.NoCppRuntime)));
        AssertQuotes(ex, "libstdc++.so.6: cannot open shared object file");
        Assert.Empty(await Engine.OthersInsideAsync(Engine.NoCppRuntime));
    }

    [Fact(Timeout = 60000)]
    public async Task A_missing_engine_program_is_EngineUnavailable()
    {
        string program = $"/nonexistent-{Engine.RunId}/{Engine.Engine}";
        await using var router = new Router();
        ConnectionException ex = await ExpectFailureAsync(ConnectionFailure.EngineUnavailable, () => ContainerEngine.ConnectAsync(router, WithProgram(Engine.Options(Engine.Running), program)));
        AssertQuotes(ex, program);
    }

    /// <summary>The host pid of a context's process in <see cref="ContainerEngine.Running"/>.</summary>
    protected async Task<int> HostPidAsync(Context context)
    {
        int? pid = await Engine.HostPidAsync(Engine.Running, context.RemoteProcessId);
        Assert.True(pid is not null, $"{context.Name}'s process {context.RemoteProcessId} is not in {Engine.Running}");
        return pid.Value;
    }

    /// <summary>The engine processes running <c>exec</c> for <paramref name="container"/> below <paramref name="ancestor"/>.</summary>
    protected List<int> ExecProcesses(int ancestor, string container) => Processes.Descendants(ancestor).Where(pid => IsExecOf(pid, container)).ToList();

    /// <summary>No engine exec for the container anywhere on this machine, no dotnet left inside, and the container still running.</summary>
    protected async Task AssertNothingLeftAsync()
    {
        List<int> left = await Processes.WaitAloneInPidNamespaceAsync(await Engine.MainPidAsync(Engine.Running), Bound);

        Assert.True(left.Count == 0, "left inside the container: " + string.Join("; ", left.Select(p => $"{p} {Processes.CommandLine(p)}")));
        Assert.DoesNotContain(Processes.All(), pid => IsExecOf(pid, Engine.Running));
        Assert.True(await Engine.IsRunningAsync(Engine.Running), $"{Engine.Running} stopped");
    }

    private bool IsExecOf(int pid, string container)
    {
        string[] argv = ReadNulSeparated($"/proc/{pid}/cmdline");
        return argv.Length > 0 && argv[0] == Engine.ProgramPath && argv.Contains("exec") && argv.Contains(container);
    }

    private static string[] ReadNulSeparated(string path)
    {
        try
        {
            return Encoding.UTF8.GetString(File.ReadAllBytes(path)).Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
