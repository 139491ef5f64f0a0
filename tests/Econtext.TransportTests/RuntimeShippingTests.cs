using System.Diagnostics;
using Econtext.TransportTests.Remote;

namespace Econtext.TransportTests;

/// <summary>
/// A target without .NET (sshd chroots the user into a Debian userland with no dotnet anywhere)
/// gets this process's runtime, pruned, once: into a cache folder that later connections reuse.
/// Each test uses its own cache folder, so the order the tests run in does not matter.
/// </summary>
public sealed class RuntimeShippingTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 120000)]
    public async Task Bare_host_gets_the_runtime_once_and_the_next_connection_reuses_it()
    {
        const string cache = "~/.cache/econtext/t-once";
        var first = Stopwatch.StartNew();
        await using (var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache }))
        {
            Context bare = await StartAsync(() => router.SshAsync(Hosts.Ssh(Hosts.NoRuntime)), "first connection to a bare host");
            first.Stop();
            Identity who = await bare.CallAsync(() => Probe.Whoami()).WaitAsync(Bound);
            Assert.Equal(Hosts.NoRuntime.Uid, who.Uid);
            string runtime = await bare.CallAsync(() => BareHostProbe.RuntimeDirectory()).WaitAsync(Bound);
            Assert.StartsWith(Hosts.NoRuntime.Home + "/.cache/econtext/t-once/", runtime, StringComparison.Ordinal);
            Assert.Equal(1, router.Statistics.RuntimesShipped);
            Assert.InRange(router.Statistics.RuntimeBytesSent, 1_000_000, 40_000_000);
            Output.WriteLine($"first connection: {first.Elapsed.TotalMilliseconds:0} ms, runtime sent: {router.Statistics.RuntimeBytesSent} bytes, runs from {runtime}");

            // The crypto shim (shipped) and XML (not shipped: fetched from this side, loaded from memory).
            Assert.Equal("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", await bare.CallAsync(() => BareHostProbe.Sha256Of("hello")).WaitAsync(Bound));
            long asked = router.Statistics.AssemblyRequests;
            Assert.Equal("inventory", await bare.CallAsync(() => BareHostProbe.XmlRootName("<inventory><host/></inventory>")).WaitAsync(Bound));
            Assert.True(router.Statistics.AssemblyRequests > asked, "System.Private.Xml should have been asked for");
            string[] loaded = await bare.CallAsync(() => BareHostProbe.LoadedAssemblies()).WaitAsync(Bound);
            Output.WriteLine("loaded: " + string.Join(Environment.NewLine + "  ", loaded));
            Assert.Contains(loaded, a => a.StartsWith("System.Private.Xml ", StringComparison.Ordinal) && !a.Contains(runtime, StringComparison.Ordinal));
        }

        string folder = Directory.GetDirectories(Hosts.ChrootDir + Hosts.NoRuntime.Home + "/.cache/econtext/t-once").Single();
        Assert.True(File.Exists(Path.Combine(folder, ".complete")), $"{folder} has no .complete");
        Assert.Matches(@"/10\.\d+\.\d+-linux-x64-[0-9a-f]{12}$", folder);

        var second = Stopwatch.StartNew();
        await using (var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache }))
        {
            Context bare = await StartAsync(() => router.SshAsync(Hosts.Ssh(Hosts.NoRuntime)), "second connection");
            second.Stop();
            Assert.Equal(5, await bare.CallAsync(() => Probe.Add(2, 3)).WaitAsync(Bound));
            Assert.Equal(0, router.Statistics.RuntimesShipped);
            Assert.Equal(0, router.Statistics.RuntimeBytesSent);
            Output.WriteLine($"second connection: {second.Elapsed.TotalMilliseconds:0} ms, runtime sent: 0 bytes");
        }
    }

    [Fact(Timeout = 120000)]
    public async Task Corrupt_or_partial_cache_is_detected_and_replaced()
    {
        const string cache = "~/.cache/econtext/t-corrupt";
        string cacheHere = Hosts.ChrootDir + Hosts.NoRuntime.Home + "/.cache/econtext/t-corrupt";
        await ConnectAndCountAsync(cache, expectShipped: 1);
        string folder = Directory.GetDirectories(cacheHere).Single();

        // A file cut short after it was verified: stage 0's checksum no longer matches.
        string json = Directory.GetFiles(folder, "System.Text.Json.dll", SearchOption.AllDirectories).Single();
        using (var file = new FileStream(json, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(file.Length / 2);
        }

        await ConnectAndCountAsync(cache, expectShipped: 1);
        Assert.Equal(new FileInfo(json).Length, new FileInfo(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "System.Text.Json.dll")).Length);

        // A folder that never finished (no .complete): replaced as well.
        File.Delete(Path.Combine(folder, ".complete"));
        await ConnectAndCountAsync(cache, expectShipped: 1);
        Assert.True(File.Exists(Path.Combine(folder, ".complete")));

        // And intact again: nothing sent.
        await ConnectAndCountAsync(cache, expectShipped: 0);
        Assert.Single(Directory.GetFileSystemEntries(cacheHere));
    }

    [Fact(Timeout = 120000)]
    public async Task Concurrent_first_connections_leave_one_good_cache()
    {
        const string cache = "~/.cache/econtext/t-concurrent";
        string cacheHere = Hosts.ChrootDir + Hosts.NoRuntime.Home + "/.cache/econtext/t-concurrent";
        await using (var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache }))
        {
            Context[] contexts = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
                StartAsync(() => router.SshAsync(Hosts.Ssh(Hosts.NoRuntime) with { Name = $"bare{i}" }), $"concurrent connection {i}")));
            int[] sums = await Task.WhenAll(contexts.Select(c => c.CallAsync(() => Probe.Add(20, 22)))).WaitAsync(Bound);
            Assert.All(sums, s => Assert.Equal(42, s));
            Output.WriteLine($"runtimes shipped by 3 concurrent first connections: {router.Statistics.RuntimesShipped}");
            Assert.InRange(router.Statistics.RuntimesShipped, 1, 3);
        }

        string[] complete = Directory.GetDirectories(cacheHere).Where(d => !Path.GetFileName(d).StartsWith('.') && File.Exists(Path.Combine(d, ".complete"))).ToArray();
        Assert.Single(complete);
        Assert.Empty(Directory.GetDirectories(cacheHere, "*.lock"));
        await ConnectAndCountAsync(cache, expectShipped: 0);
    }

    [Fact(Timeout = 60000)]
    public async Task Intermediate_ships_its_runtime_to_a_bare_host_behind_it()
    {
        const string cache = "~/.cache/econtext/t-via";
        await using var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache });
        Context hop = await StartAsync(() => router.LocalAsync(new LocalOptions { Name = "hop" }), "local hop");
        Context bare = await StartAsync(() => router.SshAsync(Hosts.Ssh(Hosts.NoRuntime) with { Via = hop }), "bare host via the hop");
        Assert.Equal(Hosts.NoRuntime.Uid, (await bare.CallAsync(() => Probe.Whoami()).WaitAsync(Bound)).Uid);
        Assert.Equal("doc", await bare.CallAsync(() => BareHostProbe.XmlRootName("<doc/>")).WaitAsync(Bound));

        // The hop sent it, not the master.
        Assert.Equal(0, router.Statistics.RuntimesShipped);
        Assert.StartsWith(Hosts.NoRuntime.Home + "/.cache/econtext/t-via/", await bare.CallAsync(() => BareHostProbe.RuntimeDirectory()).WaitAsync(Bound), StringComparison.Ordinal);
    }

    private async Task ConnectAndCountAsync(string cache, int expectShipped)
    {
        await using var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache });
        Context bare = await StartAsync(() => router.SshAsync(Hosts.Ssh(Hosts.NoRuntime)), "connection to a bare host");
        Assert.Equal(7, await bare.CallAsync(() => Probe.Add(3, 4)).WaitAsync(Bound));
        Assert.Equal(expectShipped, router.Statistics.RuntimesShipped);
    }
}
