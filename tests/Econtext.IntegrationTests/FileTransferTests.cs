using System.Security.Cryptography;
using System.Threading.Channels;
using Econtext.Files;

namespace Econtext.IntegrationTests;

/// <summary>PushFileAsync / FetchFileAsync between real processes.</summary>
public sealed class FileTransferTests : IClassFixture<ChildFixture>, IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly ChildFixture _fixture;
    private readonly string _dir = Directory.CreateTempSubdirectory("econtext-files-").FullName;

    public FileTransferTests(ChildFixture fixture) => _fixture = fixture;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact(Timeout = 90000)]
    public async Task A_pushed_file_arrives_whole_with_its_mode_and_time_and_a_second_push_is_skipped()
    {
        string source = MakeFile("source.bin", 20 * 1024 * 1024 + 123);
        File.SetUnixFileMode(source, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        File.SetLastWriteTimeUtc(source, new DateTime(2020, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        string destination = Path.Combine(_dir, "pushed.bin");
        Context ctx = _fixture.Context;

        FileTransferResult result = await ctx.PushFileAsync(source, destination).WaitAsync(Bound);

        Assert.False(result.Skipped);
        Assert.Equal(new FileInfo(source).Length, result.Bytes);
        Assert.Equal(Hash(source), await ctx.CallAsync(() => Disk.Sha256(destination)).WaitAsync(Bound));
        Assert.Equal((int)File.GetUnixFileMode(source), await ctx.CallAsync(() => Disk.Mode(destination)).WaitAsync(Bound));
        Assert.Equal(new DateTime(2020, 2, 3, 4, 5, 6, DateTimeKind.Utc), await ctx.CallAsync(() => Disk.ModifiedUtc(destination)).WaitAsync(Bound));
        Assert.Equal(["pushed.bin", "source.bin"], (await ctx.CallAsync(() => Disk.List(_dir)).WaitAsync(Bound)).Order());

        FileTransferResult again = await ctx.PushFileAsync(source, destination).WaitAsync(Bound);
        Assert.True(again.Skipped);
        Assert.Equal(0, again.Bytes);
    }

    [Fact(Timeout = 90000)]
    public async Task A_fetched_file_arrives_whole_with_its_mode_and_time()
    {
        Context ctx = _fixture.Context;
        string remote = MakeFile("remote.bin", 5 * 1024 * 1024 + 7);
        File.SetUnixFileMode(remote, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        string local = Path.Combine(_dir, "fetched.bin");

        FileTransferResult result = await ctx.FetchFileAsync(remote, local).WaitAsync(Bound);

        Assert.Equal(new FileInfo(remote).Length, result.Bytes);
        Assert.Equal(Hash(remote), Hash(local));
        Assert.Equal(File.GetUnixFileMode(remote), File.GetUnixFileMode(local));
        Assert.Equal(File.GetLastWriteTimeUtc(remote), File.GetLastWriteTimeUtc(local));
        Assert.True((await ctx.FetchFileAsync(remote, local).WaitAsync(Bound)).Skipped);
    }

    [Fact(Timeout = 90000)]
    public async Task A_copy_that_fails_midway_leaves_the_old_file_and_no_temporary()
    {
        Context ctx = _fixture.Context;
        string destination = Path.Combine(_dir, "keep.txt");
        await File.WriteAllTextAsync(destination, "old contents");
        var chunks = Channel.CreateUnbounded<byte[]>();
        await chunks.Writer.WriteAsync(new byte[1000]);
        chunks.Writer.Complete(new IOException("the source vanished"));
        ChannelReader<byte[]> reader = chunks.Reader;

        RemoteException error = await Assert.ThrowsAsync<RemoteException>(() => ctx.CallAsync(() => FileCopy.WriteAsync(destination, 5000, -1, 0, -1, -1, reader))).WaitAsync(Bound);

        Assert.Contains(destination, error.Message, StringComparison.Ordinal);
        Assert.Contains(ctx.Name, error.Message, StringComparison.Ordinal);
        Assert.Contains("the source vanished", error.Message, StringComparison.Ordinal);
        Assert.Equal("old contents", await File.ReadAllTextAsync(destination));
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName));
    }

    [Fact(Timeout = 90000)]
    public async Task Errors_name_the_path_and_the_context()
    {
        Context ctx = _fixture.Context;
        string missing = Path.Combine(_dir, "no-such-file");
        RemoteException error = await Assert.ThrowsAsync<RemoteException>(() => ctx.FetchFileAsync(missing, Path.Combine(_dir, "x"))).WaitAsync(Bound);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains(ctx.Name, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "x")));

        string intoDirectory = Path.Combine(_dir, "a-directory");
        Directory.CreateDirectory(intoDirectory);
        string source = MakeFile("small.bin", 100);
        RemoteException refused = await Assert.ThrowsAsync<RemoteException>(() => ctx.PushFileAsync(source, intoDirectory, new FileTransferOptions { SkipIfSame = false })).WaitAsync(Bound);
        Assert.Contains(intoDirectory, refused.Message, StringComparison.Ordinal);
        Assert.Equal(["a-directory", "small.bin"], Directory.GetFileSystemEntries(_dir).Select(Path.GetFileName).Order());
    }

    [Fact(Timeout = 120000)]
    public async Task A_1_GiB_push_through_an_intermediate_never_holds_the_file_in_memory()
    {
        await using var router = new Router();
        Context hop = await router.LocalAsync(new LocalOptions { Name = "file-hop" }).WaitAsync(Bound);
        Context target = await router.LocalAsync(new LocalOptions { Name = "file-target", Via = hop }).WaitAsync(Bound);
        string source = MakeFile("big.bin", 1024 * 1024 * 1024);
        string destination = Path.Combine(_dir, "big-copy.bin");
        long before = await target.CallAsync(() => Disk.PeakRssKib()).WaitAsync(Bound);

        FileTransferResult result = await target.PushFileAsync(source, destination).WaitAsync(TimeSpan.FromSeconds(100));

        long after = await target.CallAsync(() => Disk.PeakRssKib()).WaitAsync(Bound);
        Assert.Equal(1024 * 1024 * 1024, result.Bytes);
        Assert.Equal(Hash(source), Hash(destination));

        // Live data is bounded by the credit window (16 chunks of 1 MiB); the rest of the growth is
        // garbage the GC has not collected yet. What must not happen is growth with the file's size.
        Assert.True(after - before < 256 * 1024, $"the target's peak RSS grew by {(after - before) / 1024} MiB while receiving 1 GiB");
    }

    [Fact(Timeout = 90000)]
    public async Task A_directory_tree_is_pushed_and_fetched_whole_and_an_unchanged_one_is_skipped()
    {
        Context ctx = _fixture.Context;
        string tree = Path.Combine(_dir, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "a", "b"));
        Directory.CreateDirectory(Path.Combine(tree, "empty"));
        for (int i = 0; i < 25; i++)
        {
            MakeFile(Path.Combine("tree", i % 2 == 0 ? "a" : Path.Combine("a", "b"), $"f{i}.bin"), 1000 * i);
        }

        MakeFile(Path.Combine("tree", "top.bin"), 3 * 1024 * 1024 + 5);
        File.CreateSymbolicLink(Path.Combine(tree, "link"), "/etc/passwd");
        string pushed = Path.Combine(_dir, "pushed-tree");

        DirectoryTransferResult first = await ctx.PushDirectoryAsync(tree, pushed).WaitAsync(Bound);

        // The link is followed, as Ansible's copy does: /etc/passwd's content arrives as "link".
        Assert.Equal(27, first.FilesCopied);
        Assert.Equal(0, first.FilesSkipped);
        Assert.Empty(first.NotCopied);
        Assert.Equal(Listing(tree, skipLinks: false), Listing(pushed, skipLinks: false));
        DirectoryTransferResult second = await ctx.PushDirectoryAsync(tree, pushed).WaitAsync(Bound);
        Assert.Equal(0, second.FilesCopied);
        Assert.Equal(27, second.FilesSkipped);

        string fetched = Path.Combine(_dir, "fetched-tree");
        DirectoryTransferResult back = await ctx.FetchDirectoryAsync(pushed, fetched).WaitAsync(Bound);
        Assert.Equal(27, back.FilesCopied);
        Assert.Equal(Listing(tree, skipLinks: false), Listing(fetched, skipLinks: false));
        DirectoryTransferResult backAgain = await ctx.FetchDirectoryAsync(pushed, fetched).WaitAsync(Bound);
        Assert.Equal((0, 27), (backAgain.FilesCopied, backAgain.FilesSkipped));

        // One file changed, same length: only it travels, each way.
        MakeFile(Path.Combine("tree", "a", "f4.bin"), 4000);
        DirectoryTransferResult changed = await ctx.PushDirectoryAsync(tree, pushed).WaitAsync(Bound);
        Assert.Equal((1, 26, 4000L), (changed.FilesCopied, changed.FilesSkipped, changed.Bytes));
        DirectoryTransferResult changedBack = await ctx.FetchDirectoryAsync(pushed, fetched).WaitAsync(Bound);
        Assert.Equal((1, 26), (changedBack.FilesCopied, changedBack.FilesSkipped));
        Assert.Equal(Listing(tree, skipLinks: false), Listing(fetched, skipLinks: false));
    }

    [Fact(Timeout = 120000)]
    public async Task A_thousand_small_files_travel_in_one_call_each_way()
    {
        Context ctx = _fixture.Context;
        string tree = Path.Combine(_dir, "many");
        for (int i = 0; i < 1000; i++)
        {
            Directory.CreateDirectory(Path.Combine(tree, $"d{i % 10}"));
            MakeFile(Path.Combine("many", $"d{i % 10}", $"f{i}.txt"), 1 + (i * 37 % 8192));
        }

        string pushed = Path.Combine(_dir, "many-pushed");
        DirectoryTransferResult result = await ctx.PushDirectoryAsync(tree, pushed).WaitAsync(Bound);
        Assert.Equal(1000, result.FilesCopied);
        Assert.Equal(Listing(tree, skipLinks: false), Listing(pushed, skipLinks: false));

        string fetched = Path.Combine(_dir, "many-fetched");
        DirectoryTransferResult back = await ctx.FetchDirectoryAsync(pushed, fetched).WaitAsync(Bound);
        Assert.Equal(1000, back.FilesCopied);
        Assert.Equal(Listing(tree, skipLinks: false), Listing(fetched, skipLinks: false));
        Assert.Empty(Directory.EnumerateFiles(_dir, "*.econtext-*", SearchOption.AllDirectories));
    }

    [Fact(Timeout = 90000)]
    public async Task Streams_go_in_and_come_out_whole()
    {
        Context ctx = _fixture.Context;
        byte[] bytes = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 77);
        string destination = Path.Combine(_dir, "from-stream.bin");

        // A stream that cannot seek: its length is not known up front.
        await using (var source = new BufferedStream(new MemoryStream(bytes), 1000))
        {
            FileTransferResult pushed = await ctx.PushStreamAsync(new NonSeekable(source), destination).WaitAsync(Bound);
            Assert.Equal(bytes.Length, pushed.Bytes);
        }

        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)), await ctx.CallAsync(() => Disk.Sha256(destination)).WaitAsync(Bound));
        using var back = new MemoryStream();
        FileTransferResult fetched = await ctx.FetchStreamAsync(destination, back).WaitAsync(Bound);
        Assert.Equal(bytes.Length, fetched.Bytes);
        Assert.Equal(bytes, back.ToArray());
    }

    [Fact(Timeout = 90000)]
    [Trait("Needs", "root")]
    public async Task The_owner_is_kept_when_asked_and_root_writes_the_copy()
    {
        Assert.True(Environment.IsPrivilegedProcess, "this test gives files away, which needs root (CI runs as root)");
        Context ctx = _fixture.Context;
        string source = MakeFile("owned.bin", 4096);
        Native.Libc.Chown(source, 12345, 23456);
        string pushed = Path.Combine(_dir, "owned-pushed.bin");
        string fetched = Path.Combine(_dir, "owned-fetched.bin");

        await ctx.PushFileAsync(source, pushed, new FileTransferOptions { PreserveOwner = true }).WaitAsync(Bound);
        Assert.Equal((12345, 23456), Native.Libc.Owner(pushed));
        await ctx.FetchFileAsync(pushed, fetched, new FileTransferOptions { PreserveOwner = true }).WaitAsync(Bound);
        Assert.Equal((12345, 23456), Native.Libc.Owner(fetched));

        // Trees too, each way.
        string tree = Path.Combine(_dir, "owned-tree");
        Directory.CreateDirectory(Path.Combine(tree, "sub"));
        string inner = MakeFile(Path.Combine("owned-tree", "sub", "inner.bin"), 300);
        Native.Libc.Chown(inner, 4242, 4343);
        await ctx.PushDirectoryAsync(tree, tree + "-pushed", new FileTransferOptions { PreserveOwner = true }).WaitAsync(Bound);
        Assert.Equal((4242, 4343), Native.Libc.Owner(Path.Combine(tree + "-pushed", "sub", "inner.bin")));
        await ctx.FetchDirectoryAsync(tree + "-pushed", tree + "-fetched", new FileTransferOptions { PreserveOwner = true }).WaitAsync(Bound);
        Assert.Equal((4242, 4343), Native.Libc.Owner(Path.Combine(tree + "-fetched", "sub", "inner.bin")));

        // Not asked: the copy belongs to whoever wrote it.
        string plain = Path.Combine(_dir, "plain.bin");
        await ctx.PushFileAsync(source, plain).WaitAsync(Bound);
        Assert.Equal((0, 0), Native.Libc.Owner(plain));
    }

    /// <summary>Hides CanSeek and Length, like a pipe or a network stream.</summary>
    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Relative path, kind and content hash of every entry, in order.</summary>
    private static List<string> Listing(string root, bool skipLinks) =>
        Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Where(p => !skipLinks || new FileInfo(p).LinkTarget is null)
            .Select(p => Path.GetRelativePath(root, p) + (Directory.Exists(p) ? "/" : ":" + Hash(p)))
            .Order(StringComparer.Ordinal)
            .ToList();

    private string MakeFile(string name, int length) => TestFiles.Write(Path.Combine(_dir, name), length);

    private static string Hash(string path) => TestFiles.Sha256(path);
}
