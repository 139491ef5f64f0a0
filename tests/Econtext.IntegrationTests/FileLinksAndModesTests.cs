namespace Econtext.IntegrationTests;

/// <summary>
/// What copies do with links and permission bits (issue 21): links are followed as Ansible's copy
/// and fetch do, a context writes under its caller's umask, and without PreserveMode the modes
/// are the ones Ansible's copy gives (a replaced file keeps its own, new ones the umask's default).
/// </summary>
public sealed class FileLinksAndModesTests : IClassFixture<ChildFixture>, IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly ChildFixture _fixture;
    private readonly string _dir = Directory.CreateTempSubdirectory("econtext-links-").FullName;

    public FileLinksAndModesTests(ChildFixture fixture) => _fixture = fixture;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact(Timeout = 90000)]
    public async Task A_fetched_link_arrives_as_its_target_with_the_targets_length_and_mode()
    {
        Context ctx = _fixture.Context;
        string target = Write(Path.Combine(_dir, "real-os-release"), 267);
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        string link = Path.Combine(_dir, "os-release");
        File.CreateSymbolicLink(link, "real-os-release"); // relative, as /etc/os-release -> ../usr/lib/os-release
        string local = Path.Combine(_dir, "fetched");

        FileTransferResult result = await ctx.FetchFileAsync(link, local).WaitAsync(Bound);

        Assert.Equal(267, result.Bytes);
        Assert.Null(new FileInfo(local).LinkTarget);
        Assert.Equal(TestFiles.Sha256(target), TestFiles.Sha256(local));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(local));
        Assert.True((await ctx.FetchFileAsync(link, local).WaitAsync(Bound)).Skipped);
        Assert.Equal(["fetched", "os-release", "real-os-release"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order());
    }

    [Fact(Timeout = 90000)]
    public async Task A_tree_with_links_is_copied_with_their_targets_and_reports_only_what_leads_nowhere()
    {
        Context ctx = _fixture.Context;
        string outside = Path.Combine(_dir, "outside");
        Write(Path.Combine(outside, "shared.txt"), 10);
        string tree = Path.Combine(_dir, "site");
        string page = Write(Path.Combine(tree, "index.html"), 100);
        Directory.CreateDirectory(Path.Combine(tree, "sub"));
        File.CreateSymbolicLink(Path.Combine(tree, "alias.html"), "index.html");
        File.CreateSymbolicLink(Path.Combine(tree, "assets"), outside);
        File.CreateSymbolicLink(Path.Combine(tree, "dangling"), "nowhere");
        File.CreateSymbolicLink(Path.Combine(tree, "sub", "up"), ".."); // a loop: site/sub/up/sub/up/...
        string pushed = Path.Combine(_dir, "pushed");

        DirectoryTransferResult result = await ctx.PushDirectoryAsync(tree, pushed).WaitAsync(Bound);

        Assert.Equal(3, result.FilesCopied);
        Assert.Equal(["dangling", "sub/up"], result.NotCopied.Select(n => n[..n.IndexOf(':', StringComparison.Ordinal)]));
        Assert.Equal(
            ["alias.html", "assets/", "assets/shared.txt", "index.html", "sub/"],
            Directory.EnumerateFileSystemEntries(pushed, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(pushed, p) + (Directory.Exists(p) ? "/" : "")).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(pushed, "*", SearchOption.AllDirectories), p => new FileInfo(p).LinkTarget is not null);
        Assert.Equal(TestFiles.Sha256(page), TestFiles.Sha256(Path.Combine(pushed, "alias.html")));

        DirectoryTransferResult back = await ctx.FetchDirectoryAsync(tree, Path.Combine(_dir, "fetched")).WaitAsync(Bound);
        Assert.Equal(3, back.FilesCopied);
        Assert.Equal(TestFiles.Sha256(page), TestFiles.Sha256(Path.Combine(_dir, "fetched", "alias.html")));
    }

    [Fact(Timeout = 90000)]
    public async Task A_context_writes_under_its_callers_umask_not_stage_0s()
    {
        Context ctx = _fixture.Context;

        // The fixture's context was started by this process, whose umask it inherits through stage 0.
        Assert.Equal(Umask(), await ctx.CallAsync(() => Umask()).WaitAsync(Bound));
    }

    [Fact(Timeout = 90000)]
    public async Task Without_PreserveMode_new_files_and_directories_get_the_umasks_default_and_a_replaced_file_keeps_its_mode()
    {
        Context ctx = _fixture.Context;
        int umask = await ctx.CallAsync(() => Umask()).WaitAsync(Bound);
        string tree = Path.Combine(_dir, "site");
        string script = Write(Path.Combine(tree, "sub", "run.sh"), 20);
        File.SetUnixFileMode(script, (UnixFileMode)0x1ED); // 0755
        File.SetUnixFileMode(Path.Combine(tree, "sub"), (UnixFileMode)0x1E8); // 0750
        File.SetUnixFileMode(tree, (UnixFileMode)0x1C0); // 0700
        string pushed = Path.Combine(_dir, "www");
        var asAnsible = new FileTransferOptions { PreserveMode = false };

        await ctx.PushDirectoryAsync(tree, pushed, asAnsible).WaitAsync(Bound);

        Assert.Equal(0x1FF & ~umask, (int)File.GetUnixFileMode(pushed));
        Assert.Equal(0x1FF & ~umask, (int)File.GetUnixFileMode(Path.Combine(pushed, "sub")));
        Assert.Equal(0x1B6 & ~umask, (int)File.GetUnixFileMode(Path.Combine(pushed, "sub", "run.sh")));

        string replaced = Path.Combine(_dir, "secret.conf");
        await File.WriteAllTextAsync(replaced, "old");
        File.SetUnixFileMode(replaced, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await ctx.PushFileAsync(script, replaced, asAnsible).WaitAsync(Bound);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(replaced));
        Assert.Equal(TestFiles.Sha256(script), TestFiles.Sha256(replaced));

        string fixedMode = Path.Combine(_dir, "fixed.sh");
        await ctx.PushFileAsync(script, fixedMode, asAnsible with { Mode = (UnixFileMode)0x1A0 }).WaitAsync(Bound); // 0640
        Assert.Equal((UnixFileMode)0x1A0, File.GetUnixFileMode(fixedMode));
        Assert.Empty(Directory.EnumerateFiles(_dir, "*.econtext-*", SearchOption.AllDirectories));
    }

    [Fact(Timeout = 90000)]
    public async Task With_PreserveMode_each_directory_keeps_its_own_mode()
    {
        Context ctx = _fixture.Context;
        string tree = Path.Combine(_dir, "site");
        Write(Path.Combine(tree, "sub", "page.html"), 20);
        File.SetUnixFileMode(Path.Combine(tree, "sub"), (UnixFileMode)0x1E8); // 0750
        File.SetUnixFileMode(tree, (UnixFileMode)0x1ED); // 0755
        string pushed = Path.Combine(_dir, "www");

        await ctx.PushDirectoryAsync(tree, pushed).WaitAsync(Bound);

        Assert.Equal((UnixFileMode)0x1ED, File.GetUnixFileMode(pushed));
        Assert.Equal((UnixFileMode)0x1E8, File.GetUnixFileMode(Path.Combine(pushed, "sub")));
    }

    [Fact(Timeout = 90000)]
    public async Task A_copy_being_written_is_private_until_it_gets_its_mode_and_its_name()
    {
        Context ctx = _fixture.Context;
        int umask = await ctx.CallAsync(() => Umask()).WaitAsync(Bound);
        string destination = Path.Combine(_dir, "public.txt");
        var chunks = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
        System.Threading.Channels.ChannelReader<byte[]> reader = chunks.Reader;
        await chunks.Writer.WriteAsync(new byte[1000]);

        Task<long> write = ctx.CallAsync(() => Econtext.Files.FileCopy.WriteAsync(destination, 2000, -1, 0, -1, -1, reader));
        string temporary = await TemporaryAsync();

        // Half written: under its temporary name only, and readable by no one else whatever the umask.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(temporary));
        Assert.False(File.Exists(destination));
        await chunks.Writer.WriteAsync(new byte[1000]);
        chunks.Writer.Complete();
        Assert.Equal(2000, await write.WaitAsync(Bound));
        Assert.Equal(0x1B6 & ~umask, (int)File.GetUnixFileMode(destination));
        Assert.Equal(["public.txt"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));

        async Task<string> TemporaryAsync()
        {
            // The context makes it once the first chunk has arrived; looked for until then, within the bound.
            using var bound = new CancellationTokenSource(Bound);
            while (true)
            {
                string? found = Directory.GetFiles(_dir, ".public.txt.econtext-*").SingleOrDefault();
                if (found is not null && new FileInfo(found).Length == 1000)
                {
                    return found;
                }

                await Task.Delay(10, bound.Token);
            }
        }
    }

    /// <summary>A file of <paramref name="length"/> bytes, its directory made first.</summary>
    private static string Write(string path, int length)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return TestFiles.Write(path, length);
    }

    /// <summary>This process's umask, from /proc (the same wherever it runs).</summary>
    public static int Umask() =>
        Convert.ToInt32(File.ReadLines("/proc/self/status").First(l => l.StartsWith("Umask:", StringComparison.Ordinal))[6..].Trim(), 8);
}
