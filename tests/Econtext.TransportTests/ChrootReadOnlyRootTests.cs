namespace Econtext.TransportTests;

/// <summary>
/// Stage 0's runtime cache on a read-only root (as in a container run with --read-only): a
/// read-only view of the fixture's chroot. With a writable /tmp the runtime goes to a private
/// /tmp/econtext-runtime.UID; with nothing writable the start fails saying what to fix.
/// </summary>
[Trait("Needs", "root")]
public sealed class ChrootReadOnlyRootTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 90000)]
    public async Task On_a_read_only_root_the_runtime_goes_to_a_private_folder_under_tmp()
    {
        // A cache path nothing has ever written, so only the fallback can hold the runtime.
        string cache = "/var/cache/econtext-ro-" + Guid.NewGuid().ToString("N")[..12];
        await using ReadOnlyRoot root = await ReadOnlyRoot.CreateAsync(Hosts.ChrootDir, writableTmp: true);
        int pid;
        await using (var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache }))
        {
            Context jail = await StartAsync(() => router.ChrootAsync(new ChrootOptions { Directory = root.Path, ConnectTimeout = Connect }), "chroot into a read-only root");
            pid = (await AssertRunsAsAsync(jail, "root", 0)).ProcessId;

            Assert.Equal(1, router.Statistics.RuntimesShipped);
            string runtime = await jail.CallAsync(() => PlaceProbe.RuntimeDirectory()).WaitAsync(Bound);
            Assert.StartsWith("/tmp/econtext-runtime.0/", runtime, StringComparison.Ordinal);

            // Private to its user, and really on the tmpfs: the read-only tree holds neither it nor the cache.
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(root.Path + "/tmp/econtext-runtime.0"));
            Assert.False(Directory.Exists(Hosts.ChrootDir + "/tmp/econtext-runtime.0"), "the runtime was written to the chroot's own /tmp, not the tmpfs");
            Assert.False(Directory.Exists(Hosts.ChrootDir + cache));
            Assert.Equal(new FileInfo($"/proc/{pid}/root").LinkTarget, root.Path);
        }

        Assert.True(await Processes.WaitGoneAsync([pid], Bound), $"the context {pid} still runs after the router was disposed");
    }

    [Fact(Timeout = 60000)]
    public async Task With_nothing_writable_it_is_RuntimeNotFound_saying_what_cannot_be_written()
    {
        string cache = "/var/cache/econtext-ro-" + Guid.NewGuid().ToString("N")[..12];
        await using ReadOnlyRoot root = await ReadOnlyRoot.CreateAsync(Hosts.ChrootDir, writableTmp: false);
        await using var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache });

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.RuntimeNotFound,
            () => router.ChrootAsync(new ChrootOptions { Directory = root.Path, ConnectTimeout = Connect }));

        AssertQuotes(ex, $"cannot create {cache}/.new.");
        AssertQuotes(ex, "RuntimeCacheDirectory");
        AssertQuotes(ex, "/tmp");
        AssertQuotes(ex, "read-only");

        // What to do about it, and not the advice for a target where nothing was tried.
        Assert.Contains("Point RouterOptions.RuntimeCacheDirectory at a directory", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--tmpfs /tmp", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ShipRuntime", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, router.Statistics.RuntimesShipped);
        Assert.Equal(0, router.Statistics.RuntimeBytesSent);
    }

    /// <summary>
    /// The attacker: another user who can write /tmp plants the fallback's name first, as a folder
    /// of its own (open to everyone), or as a link to a folder that root owns but everyone may
    /// write (so only the link itself is the attacker's). Stage 0 must not put the runtime it will
    /// run as root there: the start fails, and nothing lands in the planted place.
    /// </summary>
    [Theory(Timeout = 60000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_fallback_folder_planted_by_another_user_is_not_used(bool asLink)
    {
        string cache = "/var/cache/econtext-ro-" + Guid.NewGuid().ToString("N")[..12];
        await using ReadOnlyRoot root = await ReadOnlyRoot.CreateAsync(Hosts.ChrootDir, writableTmp: true);
        string planted = root.Path + "/tmp/econtext-runtime.0";
        string target = root.Path + "/tmp/attacker";
        Directory.CreateDirectory(asLink ? target : planted);
        string owned = asLink ? target : planted;
        File.SetUnixFileMode(owned, (UnixFileMode)0b111_111_111);
        if (!asLink)
        {
            await Shell.CheckAsync("/usr/bin/chown", "65534:65534", owned);
        }
        else
        {
            File.CreateSymbolicLink(planted, "/tmp/attacker");
            await Shell.CheckAsync("/usr/bin/chown", "-h", "65534:65534", planted);
        }

        await using var router = new Router(new RouterOptions { RuntimeCacheDirectory = cache });
        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.RuntimeNotFound,
            () => router.ChrootAsync(new ChrootOptions { Directory = root.Path, ConnectTimeout = Connect }));

        AssertQuotes(ex, $"cannot create {cache}/.new.");
        Assert.Empty(Directory.EnumerateFileSystemEntries(owned));
    }
}
