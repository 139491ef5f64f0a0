using System.Security.Cryptography;

namespace Econtext.IntegrationTests;

/// <summary>
/// Contexts fetching files from the master (CurrentContext.FetchFileAsync): only what the master
/// shared with that very context, never a path that escapes it by "..", a relative name, or a link.
/// </summary>
public sealed class FileServiceTests : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly string _dir = Path.GetFullPath(Directory.CreateTempSubdirectory("econtext-share-").FullName);
    private Router _router = null!;
    private Context _ctx = null!;

    public async Task InitializeAsync()
    {
        _router = new Router();
        _ctx = await _router.LocalAsync(new LocalOptions { Name = "reader" }).WaitAsync(Bound);
    }

    public async Task DisposeAsync()
    {
        await _router.DisposeAsync().AsTask().WaitAsync(Bound);
        Directory.Delete(_dir, recursive: true);
    }

    [Fact(Timeout = 90000)]
    public async Task A_shared_file_arrives_whole_with_its_mode_and_time()
    {
        string source = MakeFile("shared/app.bin", 9 * 1024 * 1024 + 17);
        File.SetUnixFileMode(source, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetLastWriteTimeUtc(source, new DateTime(2021, 6, 7, 8, 9, 10, DateTimeKind.Utc));
        using IDisposable share = _ctx.ShareFiles(source);
        string target = Path.Combine(_dir, "fetched.bin");

        long bytes = await _ctx.CallAsync(() => MasterFiles.Fetch(source, target)).WaitAsync(Bound);

        Assert.Equal(new FileInfo(source).Length, bytes);
        Assert.Equal(Hash(source), Hash(target));
        Assert.Equal(File.GetUnixFileMode(source), File.GetUnixFileMode(target));
        Assert.Equal(new DateTime(2021, 6, 7, 8, 9, 10, DateTimeKind.Utc), File.GetLastWriteTimeUtc(target));
    }

    [Fact(Timeout = 90000)]
    public async Task A_shared_file_arrives_whole_under_the_smallest_message_size()
    {
        // The context asks for chunks of 256 KiB; under a 64 KiB limit the master must send what fits.
        await using var small = new Router(new RouterOptions { MaxMessageSize = 64 * 1024 });
        Context ctx = await small.LocalAsync(new LocalOptions { Name = "small-reader" }).WaitAsync(Bound);
        string source = MakeFile("small/app.bin", 1024 * 1024 + 17);
        using IDisposable share = ctx.ShareFiles(source);
        string target = Path.Combine(_dir, "small-fetched.bin");

        // Econtext's own fetch, so that nothing over the limit has to be pushed ahead of the call.
        FileTransferResult result = await ctx.CallAsync(() => Econtext.Files.MasterFileFetch.ToFileAsync(source, target, CancellationToken.None)).WaitAsync(Bound);

        Assert.Equal(new FileInfo(source).Length, result.Bytes);
        Assert.Equal(Hash(source), Hash(target));
        Assert.Null(ctx.DisconnectReason);
    }

    [Fact(Timeout = 90000)]
    public async Task A_shared_directory_serves_what_is_below_it_and_nothing_beside_it()
    {
        string inside = MakeFile("root/sub/inside.txt", 1000);
        string beside = MakeFile("secret.txt", 100);
        string root = Path.Combine(_dir, "root");
        using IDisposable share = _ctx.ShareFiles(root);

        Assert.StartsWith("ok ", await Fetch(inside));
        Assert.StartsWith("refused: ", await Fetch(beside));
        Assert.StartsWith("refused: ", await Fetch("/etc/passwd"));
        Assert.StartsWith("refused: ", await Fetch(root + "-sibling/x")); // a name that merely starts like the root
        Assert.Contains("directory", await Fetch(Path.Combine(root, "sub")), StringComparison.Ordinal);
        Assert.Contains("does not exist", await Fetch(Path.Combine(root, "missing.txt")), StringComparison.Ordinal);
    }

    [Fact(Timeout = 90000)]
    public async Task Dot_dot_relative_paths_and_escaping_links_are_refused()
    {
        MakeFile("root/ok.txt", 10);
        string secret = MakeFile("secret.txt", 10);
        string root = Path.Combine(_dir, "root");
        File.CreateSymbolicLink(Path.Combine(root, "out"), secret);
        Directory.CreateSymbolicLink(Path.Combine(root, "outdir"), _dir);
        File.CreateSymbolicLink(Path.Combine(root, "in"), Path.Combine(root, "ok.txt"));
        using IDisposable share = _ctx.ShareFiles(root);

        // ".." is refused even where it would land inside the root.
        Assert.Contains("'..'", await Fetch(root + "/../root/ok.txt"), StringComparison.Ordinal);
        Assert.Contains("'..'", await Fetch(root + "/../secret.txt"), StringComparison.Ordinal);
        Assert.Contains("absolute", await Fetch("root/ok.txt"), StringComparison.Ordinal);
        Assert.Contains("symbolic link", await Fetch(root + "/out"), StringComparison.Ordinal);
        Assert.Contains("symbolic link", await Fetch(root + "/outdir/secret.txt"), StringComparison.Ordinal);

        // A link that stays inside is fine.
        Assert.Equal("ok " + Hash(Path.Combine(root, "ok.txt")), await Fetch(root + "/in"));
        Assert.True(_router.Statistics.MessagesDropped >= 5, "refusals are counted");
    }

    [Fact(Timeout = 90000)]
    public async Task What_is_shared_with_one_context_is_not_shared_with_another_and_unsharing_takes_it_back()
    {
        string file = MakeFile("only-for-reader.txt", 64);
        Context other = await _router.LocalAsync(new LocalOptions { Name = "other" }).WaitAsync(Bound);
        IDisposable share = _ctx.ShareFiles(file);

        Assert.StartsWith("ok ", await Fetch(file));
        Assert.StartsWith("refused: ", await other.CallAsync(() => MasterFiles.TryFetch(file)).WaitAsync(Bound));

        share.Dispose();
        Assert.StartsWith("refused: ", await Fetch(file));
    }

    [Fact(Timeout = 90000)]
    public async Task A_context_behind_another_fetches_what_was_shared_with_it_and_the_hop_cannot()
    {
        string file = MakeFile("for-leaf.bin", 3 * 1024 * 1024);
        Context leaf = await _router.LocalAsync(new LocalOptions { Name = "leaf", Via = _ctx }).WaitAsync(Bound);
        using IDisposable share = leaf.ShareFiles(file);

        Assert.Equal("ok " + Hash(file), await leaf.CallAsync(() => MasterFiles.TryFetch(file)).WaitAsync(Bound));
        Assert.StartsWith("refused: ", await Fetch(file));
    }

    [Fact(Timeout = 30000)]
    public async Task Sharing_a_path_that_does_not_exist_fails_at_once()
    {
        await Task.Yield();
        FileNotFoundException ex = Assert.Throws<FileNotFoundException>(() => _ctx.ShareFiles(Path.Combine(_dir, "nope")));
        Assert.Contains("reader", ex.Message, StringComparison.Ordinal);
    }

    private Task<string> Fetch(string path) => _ctx.CallAsync(() => MasterFiles.TryFetch(path)).WaitAsync(Bound);

    private string MakeFile(string relative, int length)
    {
        string path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        byte[] bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
