using System.Diagnostics;
using Microsoft.Extensions.Logging;
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

    [Fact(Timeout = 120000)]
    public async Task Copies_left_by_killed_shipments_are_cleared_and_live_ones_kept()
    {
        const string cache = "~/.cache/econtext/t-cut";
        string cacheHere = Hosts.ChrootDir + Hosts.NoRuntime.Home + "/.cache/econtext/t-cut";

        // A real cut: the target's stage 0 is SIGKILLed (as an OOM kill would) right after it made
        // its private .new.PID folder and asked for the runtime, while the master starts sending it.
        int killed = 0;
        using var hook = new CapturingLoggerProvider { EnabledFrom = LogLevel.Information };
        hook.Observer = e =>
        {
            if (!e.Message.Contains("the target has no .NET; sending runtime", StringComparison.Ordinal))
            {
                return;
            }

            string partial = Directory.GetDirectories(cacheHere, ".new.*").Single();
            killed = int.Parse(Path.GetFileName(partial)[".new.".Length..], System.Globalization.CultureInfo.InvariantCulture);
            Processes.Signal(killed, 9);
        };
        await using (var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache, LoggerFactory = hook.CreateUnfilteredFactory() }))
        {
            await Assert.ThrowsAsync<ConnectionException>(() => router.SshAsync(Hosts.Ssh(Hosts.NoRuntime) with { Name = "cut" })).WaitAsync(Bound);
        }

        string cut = Path.Combine(cacheHere, ".new." + killed);
        Assert.True(Directory.Exists(cut), "the killed shipment left no partial copy to clear; the test no longer cuts where it means to");

        // Planted beside it: one whose process is gone, and one whose process still runs (this
        // test's, which the target's user may not signal: only /proc says it is alive).
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await gone.WaitForExitAsync().WaitAsync(Bound);
        string stale = Path.Combine(cacheHere, ".new." + gone.Id);
        string live = Path.Combine(cacheHere, ".new." + Environment.ProcessId);
        foreach (string planted in (string[])[stale, live])
        {
            Directory.CreateDirectory(planted);
            await File.WriteAllBytesAsync(Path.Combine(planted, "libcoreclr.so"), new byte[4 * 1024 * 1024]);
            await Shell.CheckAsync("chown", "-R", "--reference=" + cacheHere, planted);
        }

        await ConnectAndCountAsync(cache, expectShipped: 1);

        Assert.False(Directory.Exists(cut), $"{cut}, left by a killed shipment, is still there");
        Assert.False(Directory.Exists(stale), $"{stale}, whose process is gone, is still there");
        Assert.True(File.Exists(Path.Combine(live, "libcoreclr.so")), $"{live} belongs to a running process and was removed");
        Directory.Delete(live, recursive: true);
    }

    private async Task ConnectAndCountAsync(string cache, int expectShipped)
    {
        await using var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache });
        Context bare = await StartAsync(() => router.SshAsync(Hosts.Ssh(Hosts.NoRuntime)), "connection to a bare host");
        Assert.Equal(7, await bare.CallAsync(() => Probe.Add(3, 4)).WaitAsync(Bound));
        Assert.Equal(expectShipped, router.Statistics.RuntimesShipped);
    }
}
