using System.Globalization;

namespace Econtext.TransportTests;

/// <summary>
/// Contexts whose root is the fixture's chroot (a Debian userland without .NET, /proc mounted):
/// the runtime is shipped in, calls run with that directory as "/", and nothing is left running.
/// Each test ships into a runtime cache of its own inside the chroot (RouterOptions.RuntimeCacheDirectory)
/// and removes it, so neither the order of the tests nor RuntimeShippingTests' caches (in the ssh
/// user's home there) matter.
/// </summary>
[Trait("Needs", "root")]
public sealed class ChrootTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 90000)]
    public async Task The_runtime_is_shipped_in_and_the_context_runs_with_the_directory_as_its_root()
    {
        string id = Guid.NewGuid().ToString("N")[..12];
        string cache = "/tmp/econtext-cache-" + id;
        string marker = "econtext-marker-" + id;
        string inside = Path.Combine(Hosts.ChrootDir, "tmp", marker + ".in");
        string outside = Path.Combine("/tmp", marker + ".out");
        await File.WriteAllTextAsync(Path.Combine(Hosts.ChrootDir, marker), "at the chroot's root");
        await File.WriteAllTextAsync(inside, "in the chroot's /tmp");
        await File.WriteAllTextAsync(outside, "in the host's /tmp");
        try
        {
            int pid;
            await using (var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache }))
            {
                Context jail = await StartAsync(() => router.ChrootAsync(new ChrootOptions { Directory = Hosts.ChrootDir, ConnectTimeout = Connect }), "chroot into the bare directory");
                Assert.Equal("chroot:" + Hosts.ChrootDir, jail.Name);
                Identity who = await AssertRunsAsAsync(jail, "root", 0);
                pid = who.ProcessId;

                // Shipped once, and run from the cache given, inside the chroot.
                Assert.Equal(1, router.Statistics.RuntimesShipped);
                Assert.InRange(router.Statistics.RuntimeBytesSent, 1_000_000, 40_000_000);
                string runtime = await jail.CallAsync(() => PlaceProbe.RuntimeDirectory()).WaitAsync(Bound);
                Assert.StartsWith(cache + "/", runtime, StringComparison.Ordinal);
                Assert.True(Directory.Exists(Hosts.ChrootDir + runtime), $"the runtime the context runs from, {runtime}, is not in the chroot");

                // Its root is the chroot: what is there is at "/", what is only outside is not.
                string[] entries = await jail.CallAsync(() => PlaceProbe.RootEntries()).WaitAsync(Bound);
                string[] expected = Directory.GetFileSystemEntries(Hosts.ChrootDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
                Assert.Equal(expected, entries);
                Assert.Contains(marker, entries);
                Assert.Equal("at the chroot's root", await jail.CallAsync(() => PlaceProbe.Read("/" + marker)).WaitAsync(Bound));
                Assert.True(await jail.CallAsync(() => PlaceProbe.Exists("/tmp/" + marker + ".in")).WaitAsync(Bound));
                Assert.False(await jail.CallAsync(() => PlaceProbe.Exists("/tmp/" + marker + ".out")).WaitAsync(Bound));
                Assert.Equal(Hosts.ChrootDir, RootOf(pid));

                // Files go to and come from the chroot's tree.
                string source = Path.Combine(Path.GetTempPath(), marker + ".push");
                byte[] content = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray();
                await File.WriteAllBytesAsync(source, content);
                try
                {
                    await jail.PushFileAsync(source, "/tmp/" + marker + ".pushed").WaitAsync(Bound);
                    Assert.Equal(content, await File.ReadAllBytesAsync(inside[..^3] + ".pushed"));
                    await jail.FetchFileAsync("/" + marker, source).WaitAsync(Bound);
                    Assert.Equal("at the chroot's root", await File.ReadAllTextAsync(source));
                }
                finally
                {
                    File.Delete(source);
                }
            }

            Assert.True(await Processes.WaitGoneAsync([pid], Bound), $"the chroot context {pid} still runs after the router was disposed");
        }
        finally
        {
            File.Delete(Path.Combine(Hosts.ChrootDir, marker));
            foreach (string file in Directory.GetFiles(Path.Combine(Hosts.ChrootDir, "tmp"), marker + ".*"))
            {
                File.Delete(file);
            }

            File.Delete(outside);
            DeleteInChroot(cache);
        }
    }

    [Fact(Timeout = 90000)]
    public async Task User_runs_the_context_as_the_chroots_user()
    {
        TestUser user = Hosts.NoRuntime;
        string cache = user.Home + "/.cache/econtext-chroot-" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            await using var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache });
            Context jail = await StartAsync(
                () => router.ChrootAsync(new ChrootOptions { Directory = Hosts.ChrootDir, User = user.Name, ConnectTimeout = Connect }),
                "chroot --userspec into the bare directory");

            // The name comes from the chroot's /etc/passwd, the group from its /etc/group.
            Identity who = await AssertRunsAsAsync(jail, user);
            Assert.Equal($"{user.Uid} {user.Uid}", await jail.CallAsync(() => PlaceProbe.Ids()).WaitAsync(Bound));
            Assert.Equal(Hosts.ChrootDir, RootOf(who.ProcessId));
            Assert.StartsWith(cache + "/", await jail.CallAsync(() => PlaceProbe.RuntimeDirectory()).WaitAsync(Bound), StringComparison.Ordinal);
            Assert.Equal(1, router.Statistics.RuntimesShipped);

            // What the user shipped belongs to the user.
            Assert.Equal(user.Uid.ToString(CultureInfo.InvariantCulture), (await Shell.CheckAsync("/usr/bin/stat", "-c", "%u", Hosts.ChrootDir + cache)).StandardOutput.Trim());
        }
        finally
        {
            DeleteInChroot(cache);
        }
    }

    /// <summary>
    /// The process the chroot context hangs from is SIGKILLed: the context sees its pipe close and
    /// exits. That process is a local context the chroot was started through (Via), a real
    /// Econtext parent with its own router end, which this test can kill without killing itself.
    /// </summary>
    [Fact(Timeout = 90000)]
    public async Task The_context_ends_when_its_parent_is_killed()
    {
        string cache = "/tmp/econtext-cache-" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            await using var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache });
            Context parent = await StartAsync(() => router.LocalAsync(new LocalOptions { Name = "parent" }), "local parent");
            Context jail = await StartAsync(
                () => router.ChrootAsync(new ChrootOptions { Directory = Hosts.ChrootDir, ConnectTimeout = Connect, Via = parent }),
                "chroot through the local parent");
            Assert.Equal("chroot:" + Hosts.ChrootDir + "@parent", jail.Name);
            int pid = (await AssertRunsAsAsync(jail, "root", 0)).ProcessId;
            Assert.Equal(parent.RemoteProcessId, Processes.ParentOf(pid));

            Processes.Signal(parent.RemoteProcessId, Processes.SigKill);

            Assert.True(await Processes.WaitGoneAsync([pid], Bound), $"the chroot context {pid} still runs after its parent was SIGKILLed");
            await Assert.ThrowsAnyAsync<Exception>(() => jail.CallAsync(() => Probe.Add(1, 2))).WaitAsync(Bound);
            Assert.DoesNotContain(Processes.All(), p => Processes.IsRunning(p) && RootOf(p) == Hosts.ChrootDir && Processes.CommandLine(p).Contains(cache, StringComparison.Ordinal));
        }
        finally
        {
            DeleteInChroot(cache);
        }
    }

    /// <summary>The master itself is SIGKILLed (a process of its own): its context in the chroot exits, and nothing of ours stays in there.</summary>
    [Fact(Timeout = 90000)]
    public async Task The_context_ends_when_the_master_is_killed()
    {
        string cache = "/tmp/econtext-cache-" + Guid.NewGuid().ToString("N")[..12];
        try
        {
            using ContainerMaster master = await ContainerMaster.StartAsync(["chroot", Hosts.ChrootDir, cache], null, Bound);
            int pid = master.ContextPid;
            Assert.Equal(Hosts.ChrootDir, RootOf(pid));

            await master.KillAsync(Bound);

            Assert.True(await Processes.WaitGoneAsync([pid], Bound), $"the chroot context {pid} outlived its SIGKILLed master by {Bound.TotalSeconds} s");
            Assert.DoesNotContain(Processes.All(), p => Processes.IsRunning(p) && RootOf(p) == Hosts.ChrootDir && Processes.CommandLine(p).Contains(cache, StringComparison.Ordinal));
        }
        finally
        {
            DeleteInChroot(cache);
        }
    }

    /// <summary>readlink /proc/PID/root, as this (root) process sees it; null once the process is gone.</summary>
    private static string? RootOf(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/root").LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Removes a folder a test made inside the chroot (given as the chroot sees it).</summary>
    private void DeleteInChroot(string path)
    {
        string here = Hosts.ChrootDir + path;
        if (Directory.Exists(here))
        {
            Directory.Delete(here, recursive: true);
        }
    }
}
