using System.Security.Cryptography;

namespace Econtext.IntegrationTests;

/// <summary>
/// How file copies fail, between real processes: a full disk, a read-only file system, a file where
/// a directory should be, a directory where a file should be, a source that does not exist or
/// changes mid-copy. Every error names the path and the context; the old destination stays as it
/// was, and no temporary file (<c>.NAME.econtext-xxxxxxxx</c>) is left beside it. And a copy larger
/// than a process's GC heap limit goes through, on the context's side and on the master's.
/// The full and read-only file systems are tmpfs mounts, so those tests need root and say so with
/// [Trait("Needs", "root")] (./test run by another user leaves them out).
/// </summary>
public sealed class FileTransferFailureTests : IClassFixture<ChildFixture>, IDisposable
{
    private const string OldContents = "old contents, which a failed copy must leave alone";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly ChildFixture _fixture;
    private readonly string _dir = Directory.CreateTempSubdirectory("econtext-file-failures-").FullName;
    private readonly List<Tmpfs> _mounts = [];

    public FileTransferFailureTests(ChildFixture fixture) => _fixture = fixture;

    public void Dispose()
    {
        foreach (Tmpfs mount in _mounts)
        {
            mount.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
    }

    // ------------------------------------------------------------------------------------------------
    // No space left on device

    [Trait("Needs", "root")]
    [Fact(Timeout = 90000)]
    public async Task A_push_into_a_full_file_system_fails_naming_the_path_and_the_context_and_keeps_the_old_file()
    {
        Context ctx = _fixture.Context;
        Tmpfs full = Mount("full", "size=1m");
        string destination = OldFile(full.Path, "target.bin");
        string source = MakeFile("four-mib.bin", 4 * 1024 * 1024, seed: 1);

        Exception error = await FailsAsync(ctx.PushFileAsync(source, destination), "pushing 4 MiB into a 1 MiB tmpfs");

        AssertNames(error, destination, ctx.Name);
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        AssertOldFileAlone(destination);
    }

    [Trait("Needs", "root")]
    [Fact(Timeout = 90000)]
    public async Task A_fetch_into_a_full_file_system_fails_naming_both_paths_and_the_context_and_keeps_the_old_file()
    {
        Context ctx = _fixture.Context;
        Tmpfs full = Mount("full", "size=1m");
        string destination = OldFile(full.Path, "target.bin");
        string remote = MakeFile("four-mib.bin", 4 * 1024 * 1024, seed: 2);

        Exception error = await FailsAsync(ctx.FetchFileAsync(remote, destination), "fetching 4 MiB into a 1 MiB tmpfs");

        AssertNames(error, destination, ctx.Name);
        AssertNames(error, remote, ctx.Name);
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(error);
        AssertOldFileAlone(destination);
    }

    [Fact(Timeout = 90000)]
    public async Task A_fetch_whose_destination_fails_after_the_context_sent_everything_still_ends()
    {
        // 8 chunks: all of them fit in the credit window, so the context can send the whole file and
        // its reply before the master's first write fails, which waits for that reply. The master
        // then cancels a call whose reply is in while its items wait to drain into a channel nobody
        // reads any more; that used to hang.
        Context ctx = _fixture.Context;
        string remote = MakeFile("two-mib.bin", 2 * 1024 * 1024, seed: 5);
        await using var destination = new FailsOnceReplyIsInStream(_fixture.Router, ctx.Id);

        Exception error = await FailsAsync(ctx.FetchStreamAsync(remote, destination), "fetching into a stream that fails after the whole file was sent");

        Assert.Contains("simulated", error.Message, StringComparison.Ordinal);
        Assert.True(destination.ReplyWasIn, "the fetch's final reply never arrived before the write failed");
    }

    [Trait("Needs", "root")]
    [Fact(Timeout = 90000)]
    public async Task A_directory_push_into_a_full_file_system_fails_naming_the_file_and_the_context()
    {
        Context ctx = _fixture.Context;
        Tmpfs full = Mount("full", "size=1m");
        string tree = Path.Combine(_dir, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "sub"));
        MakeFile(Path.Combine("tree", "a.bin"), 600 * 1024, seed: 3);
        MakeFile(Path.Combine("tree", "sub", "b.bin"), 600 * 1024, seed: 4);
        string remoteTree = Path.Combine(full.Path, "tree");

        Exception error = await FailsAsync(ctx.PushDirectoryAsync(tree, remoteTree), "pushing 1.2 MiB of files into a 1 MiB tmpfs");

        // a.bin fits; sub/b.bin does not.
        AssertNames(error, Path.Combine(remoteTree, "sub", "b.bin"), ctx.Name);
        Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
        Assert.Equal(Hash(Path.Combine(tree, "a.bin")), Hash(Path.Combine(remoteTree, "a.bin")));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(remoteTree, "sub")));
    }

    // ------------------------------------------------------------------------------------------------
    // Read-only file system (EROFS: root cannot write there either)

    [Trait("Needs", "root")]
    [Fact(Timeout = 90000)]
    public async Task A_push_into_a_read_only_file_system_fails_naming_the_path_and_the_context_and_keeps_the_old_file()
    {
        Context ctx = _fixture.Context;
        Tmpfs readOnly = Mount("read-only", "size=1m");
        string destination = OldFile(readOnly.Path, "target.bin");
        readOnly.RemountReadOnly();
        string source = MakeFile("small.bin", 1000, seed: 5);

        Exception error = await FailsAsync(ctx.PushFileAsync(source, destination), "pushing into a read-only tmpfs");

        AssertNames(error, destination, ctx.Name);
        Assert.Contains("Read-only file system", error.Message, StringComparison.Ordinal);
        AssertOldFileAlone(destination);
    }

    [Trait("Needs", "root")]
    [Fact(Timeout = 90000)]
    public async Task A_fetch_into_a_read_only_file_system_fails_naming_the_path_and_the_context_and_keeps_the_old_file()
    {
        Context ctx = _fixture.Context;
        Tmpfs readOnly = Mount("read-only", "size=1m");
        string destination = OldFile(readOnly.Path, "target.bin");
        readOnly.RemountReadOnly();
        string remote = MakeFile("small.bin", 1000, seed: 6);

        Exception error = await FailsAsync(ctx.FetchFileAsync(remote, destination), "fetching into a read-only tmpfs");

        AssertNames(error, destination, ctx.Name);
        AssertNames(error, remote, ctx.Name);
        Assert.Contains("Read-only file system", error.Message, StringComparison.Ordinal);
        AssertOldFileAlone(destination);
    }

    // ------------------------------------------------------------------------------------------------
    // A file where a directory should be, a directory where a file should be

    [Fact(Timeout = 90000)]
    public async Task A_push_whose_destination_parent_is_a_file_fails_naming_the_path_and_the_context()
    {
        Context ctx = _fixture.Context;
        string blocker = OldFile(Path.Combine(_dir, "in-the-way"), "blocker");
        string destination = Path.Combine(blocker, "target.bin");
        string source = MakeFile("small.bin", 1000, seed: 7);

        Exception error = await FailsAsync(ctx.PushFileAsync(source, destination), "pushing below a regular file");

        AssertNames(error, destination, ctx.Name);
        AssertOldFileAlone(blocker);
    }

    [Fact(Timeout = 90000)]
    public async Task A_fetch_whose_destination_parent_is_a_file_fails_naming_the_path_and_the_context()
    {
        Context ctx = _fixture.Context;
        string blocker = OldFile(Path.Combine(_dir, "in-the-way"), "blocker");
        string destination = Path.Combine(blocker, "target.bin");
        string remote = MakeFile("small.bin", 1000, seed: 8);

        Exception error = await FailsAsync(ctx.FetchFileAsync(remote, destination), "fetching below a regular file");

        AssertNames(error, destination, ctx.Name);
        AssertNames(error, remote, ctx.Name);
        AssertOldFileAlone(blocker);
    }

    [Fact(Timeout = 90000)]
    public async Task A_directory_push_whose_destination_parent_is_a_file_fails_naming_the_path_and_the_context()
    {
        Context ctx = _fixture.Context;
        string blocker = OldFile(Path.Combine(_dir, "in-the-way"), "blocker");
        string tree = Path.Combine(_dir, "tree");
        Directory.CreateDirectory(tree);
        MakeFile(Path.Combine("tree", "a.bin"), 1000, seed: 9);
        string remoteTree = Path.Combine(blocker, "tree");

        Exception error = await FailsAsync(ctx.PushDirectoryAsync(tree, remoteTree), "pushing a tree below a regular file");

        AssertNames(error, remoteTree, ctx.Name);
        AssertOldFileAlone(blocker);
    }

    [Fact(Timeout = 90000)]
    public async Task A_directory_fetch_whose_destination_parent_is_a_file_fails_naming_the_path_and_the_context()
    {
        Context ctx = _fixture.Context;
        string blocker = OldFile(Path.Combine(_dir, "in-the-way"), "blocker");
        string tree = Path.Combine(_dir, "tree");
        Directory.CreateDirectory(tree);
        MakeFile(Path.Combine("tree", "a.bin"), 1000, seed: 10);
        string localTree = Path.Combine(blocker, "tree");

        Exception error = await FailsAsync(ctx.FetchDirectoryAsync(tree, localTree), "fetching a tree below a regular file");

        AssertNames(error, localTree, ctx.Name);
        AssertOldFileAlone(blocker);
    }

    [Fact(Timeout = 90000)]
    public async Task Fetching_a_directory_as_a_file_fails_saying_it_is_a_directory_and_keeps_the_old_file()
    {
        Context ctx = _fixture.Context;
        string remote = Path.Combine(_dir, "remote-tree");
        Directory.CreateDirectory(remote);
        string local = OldFile(Path.Combine(_dir, "local"), "target.bin");

        Exception error = await FailsAsync(ctx.FetchFileAsync(remote, local), "fetching a directory as a file");

        AssertNames(error, remote, ctx.Name);
        AssertOldFileAlone(local);
        Assert.True(
            error.Message.Contains("directory", StringComparison.OrdinalIgnoreCase) && !error.Message.Contains("does not exist", StringComparison.Ordinal),
            $"the message should say {remote} is a directory (it exists): {error.Message}");
    }

    [Fact(Timeout = 90000)]
    public async Task Pushing_a_directory_as_a_file_fails_saying_it_is_a_directory_and_keeps_the_old_file()
    {
        Context ctx = _fixture.Context;
        string local = Path.Combine(_dir, "local-tree");
        Directory.CreateDirectory(local);
        string remote = OldFile(Path.Combine(_dir, "remote"), "target.bin");

        Exception error = await FailsAsync(ctx.PushFileAsync(local, remote), "pushing a directory as a file");

        AssertNames(error, local, ctx.Name);
        AssertOldFileAlone(remote);
        Assert.True(
            error.Message.Contains("directory", StringComparison.OrdinalIgnoreCase) && !error.Message.Contains("does not exist", StringComparison.Ordinal),
            $"the message should say {local} is a directory (it exists): {error.Message}");
    }

    // ------------------------------------------------------------------------------------------------
    // Sources that do not exist

    [Fact(Timeout = 90000)]
    public async Task Fetching_a_file_that_does_not_exist_fails_as_not_found_naming_the_path_and_the_context()
    {
        Context ctx = _fixture.Context;
        string missing = Path.Combine(_dir, "no-such-file");
        string local = OldFile(Path.Combine(_dir, "local"), "target.bin");

        Exception error = await FailsAsync(ctx.FetchFileAsync(missing, local), "fetching a file that does not exist");

        AssertNames(error, missing, ctx.Name);
        Assert.True(Chain(error).Any(t => t == typeof(FileNotFoundException).FullName), $"no FileNotFoundException in {string.Join(" -> ", Chain(error))}");
        AssertOldFileAlone(local);
    }

    [Fact(Timeout = 90000)]
    public async Task Pushing_a_file_that_does_not_exist_fails_as_not_found_naming_the_path_and_the_context()
    {
        Context ctx = _fixture.Context;
        string missing = Path.Combine(_dir, "no-such-file");
        string remote = OldFile(Path.Combine(_dir, "remote"), "target.bin");

        Exception error = await FailsAsync(ctx.PushFileAsync(missing, remote), "pushing a file that does not exist");

        AssertNames(error, missing, ctx.Name);
        Assert.True(Chain(error).Any(t => t == typeof(FileNotFoundException).FullName), $"no FileNotFoundException in {string.Join(" -> ", Chain(error))}");
        AssertOldFileAlone(remote);
    }

    [Fact(Timeout = 90000)]
    public async Task Fetching_a_directory_that_does_not_exist_fails_naming_the_path_and_the_context()
    {
        Context ctx = _fixture.Context;
        string missing = Path.Combine(_dir, "no-such-tree");
        string local = Path.Combine(_dir, "local-tree");

        Exception error = await FailsAsync(ctx.FetchDirectoryAsync(missing, local), "fetching a tree that does not exist");

        AssertNames(error, missing, ctx.Name);
        Assert.False(Directory.Exists(local), "a failed tree fetch made its destination anyway");
    }

    [Fact(Timeout = 90000)]
    public async Task Pushing_a_directory_that_does_not_exist_fails_naming_the_path_and_the_context()
    {
        Context ctx = _fixture.Context;
        string missing = Path.Combine(_dir, "no-such-tree");
        string remote = Path.Combine(_dir, "remote-tree");

        Exception error = await FailsAsync(ctx.PushDirectoryAsync(missing, remote), "pushing a tree that does not exist");

        AssertNames(error, missing, ctx.Name);
        Assert.False(Directory.Exists(remote), "a failed tree push made its destination anyway");
    }

    // ------------------------------------------------------------------------------------------------
    // Sources that change while they are copied. The context is frozen (SIGSTOP) once the first bytes
    // have arrived, so the copy is provably in flight when the source changes: frozen, it neither
    // reads (a fetch) nor returns credit (a push, whose master then cannot get more than a credit
    // window ahead of it).

    private const int ChangingLength = 64 * 1024 * 1024;
    private static readonly FileTransferOptions SmallChunks = new() { ChunkSize = 64 * 1024, SkipIfSame = false };

    [Fact(Timeout = 120000)]
    public Task A_source_truncated_during_a_push_fails_saying_it_changed() => ChangeDuringPushAsync(grow: false);

    [Fact(Timeout = 120000)]
    public Task A_source_that_grows_during_a_push_fails_saying_it_changed() => ChangeDuringPushAsync(grow: true);

    [Fact(Timeout = 120000)]
    public Task A_source_truncated_during_a_fetch_fails_saying_it_changed() => ChangeDuringFetchAsync(grow: false);

    [Fact(Timeout = 120000)]
    public Task A_source_that_grows_during_a_fetch_fails_saying_it_changed() => ChangeDuringFetchAsync(grow: true);

    private async Task ChangeDuringPushAsync(bool grow)
    {
        await using var router = new Router();
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "changing-push" }).WaitAsync(Bound);
        string source = MakeFile("changing.bin", ChangingLength, seed: 11);
        string destination = OldFile(Path.Combine(_dir, "remote"), "target.bin");

        Task<FileTransferResult> push = ctx.PushFileAsync(source, destination, SmallChunks);
        await ChangeInFlightAsync(ctx, Path.GetDirectoryName(destination)!, "target.bin", source, grow, push);

        Exception error = await FailsAsync(push, grow ? "pushing a file that grew mid-copy" : "pushing a file truncated mid-copy");
        AssertNames(error, destination, ctx.Name);
        Assert.Contains("changed", error.Message, StringComparison.Ordinal);
        Assert.True(Chain(error).Any(IsIOException), $"no IOException in {string.Join(" -> ", Chain(error))}");
        AssertOldFileAlone(destination);
    }

    private async Task ChangeDuringFetchAsync(bool grow)
    {
        await using var router = new Router();
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "changing-fetch" }).WaitAsync(Bound);
        string remote = MakeFile("changing.bin", ChangingLength, seed: 12);
        string local = OldFile(Path.Combine(_dir, "local"), "target.bin");

        Task<FileTransferResult> fetch = ctx.FetchFileAsync(remote, local, SmallChunks);
        await ChangeInFlightAsync(ctx, Path.GetDirectoryName(local)!, "target.bin", remote, grow, fetch);

        Exception error = await FailsAsync(fetch, grow ? "fetching a file that grew mid-copy" : "fetching a file truncated mid-copy");
        AssertNames(error, remote, ctx.Name);
        Assert.Contains("changed", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(error);
        AssertOldFileAlone(local);
    }

    /// <summary>Once the temporary file beside the destination has bytes, freezes the context, changes the source, thaws it.</summary>
    private static async Task ChangeInFlightAsync(Context ctx, string destinationDir, string destinationName, string source, bool grow, Task copy)
    {
        string temporary = await DirectoryEvents.WaitForFileAsync(destinationDir, "." + destinationName + ".econtext-*", f => f.Length > 0, Bound, copy);
        using (await Frozen.StopAsync(ctx.RemoteProcessId, TimeSpan.FromSeconds(10)))
        {
            long arrived = new FileInfo(temporary).Length;
            Assert.True(
                arrived < ChangingLength / 4,
                $"{arrived} of {ChangingLength} bytes had arrived by the time the context was frozen: too late to change the source while the copy is in flight");
            Assert.False(copy.IsCompleted, "the copy finished before the source changed");
            using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(source, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            if (grow)
            {
                byte[] more = new byte[1024 * 1024];
                new Random(13).NextBytes(more);
                RandomAccess.Write(handle, more, ChangingLength);
            }
            else
            {
                RandomAccess.SetLength(handle, ChangingLength / 2);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // What a failed copy leaves open

    [Trait("Needs", "root")]
    [Fact(Timeout = 90000)]
    public async Task A_failed_push_leaves_the_source_open_nowhere()
    {
        await using var router = new Router();
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "failed-push" }).WaitAsync(Bound);
        Tmpfs full = Mount("full", "size=1m");
        string destination = Path.Combine(full.Path, "target.bin");
        string source = MakeFile("sixteen-mib.bin", 16 * 1024 * 1024, seed: 14);

        await FailsAsync(ctx.PushFileAsync(source, destination), "pushing 16 MiB into a 1 MiB tmpfs");

        string[] master = await Leftovers.OpenFilesAfterAsync(Environment.ProcessId, source, TimeSpan.FromSeconds(10));
        Assert.True(master.Length == 0, $"10 s after the push failed, the master still holds its source open: {string.Join(", ", master)}");
        string[] context = await Leftovers.OpenFilesAfterAsync(ctx.RemoteProcessId, full.Path, TimeSpan.FromSeconds(10));
        Assert.True(context.Length == 0, $"10 s after the push failed, {ctx.Name} still holds open: {string.Join(", ", context)}");
    }

    [Trait("Needs", "root")]
    [Fact(Timeout = 90000)]
    public async Task A_failed_fetch_leaves_the_source_open_nowhere()
    {
        await using var router = new Router();
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "failed-fetch" }).WaitAsync(Bound);
        Tmpfs full = Mount("full", "size=1m");
        string destination = Path.Combine(full.Path, "target.bin");
        string remote = MakeFile("sixteen-mib.bin", 16 * 1024 * 1024, seed: 15);

        await FailsAsync(ctx.FetchFileAsync(remote, destination), "fetching 16 MiB into a 1 MiB tmpfs");

        string[] context = await Leftovers.OpenFilesAfterAsync(ctx.RemoteProcessId, remote, TimeSpan.FromSeconds(10));
        Assert.True(context.Length == 0, $"10 s after the fetch failed, {ctx.Name} still holds its source open: {string.Join(", ", context)}");
        string[] master = await Leftovers.OpenFilesAfterAsync(Environment.ProcessId, full.Path, TimeSpan.FromSeconds(10));
        Assert.True(master.Length == 0, $"10 s after the fetch failed, the master still holds open: {string.Join(", ", master)}");
    }

    // ------------------------------------------------------------------------------------------------
    // Never the whole file in memory. The capped processes run with a GC heap hard limit well below
    // the file's size: a side that held the file would fail with OutOfMemoryException, and its peak
    // resident set (VmHWM) must stay below the file's size too. A cap like this once showed that the
    // children's runtimeconfig (System.GC.LOHThreshold raised to 4 MiB) made the runtime die of SIGSEGV
    // under a heap hard limit once 1 MiB arrays filled the heap, instead of collecting or throwing
    // OutOfMemoryException (a plain allocation loop reproduces it without Econtext); memory-limited
    // containers set such a limit implicitly.

    /// <summary>
    /// DOTNET_GCHeapHardLimit of the capped processes: 32 MiB, an eighth of the file. The sending side
    /// may hold about two credit windows of chunks (its bounded channel and the frames in flight): with
    /// the default 256 KiB chunks that fits; with 1 MiB chunks even 48 MiB ran out of memory on the
    /// sending side of a fetch.
    /// </summary>
    private const string HeapLimit = "0x2000000";
    private const long HeapLimitBytes = 0x2000000;
    private const int LargeLength = 256 * 1024 * 1024;

    [Fact(Timeout = 240000)]
    public Task A_file_larger_than_the_contexts_heap_limit_is_pushed_and_fetched_whole() => CappedContextCopyAsync();

    /// <summary>
    /// The master's side, measured honestly: the test process's own peak is shared with every other
    /// test running in it, so a capped context plays the master (its own Router and context) and its
    /// peak belongs to the copy alone.
    /// </summary>
    [Fact(Timeout = 240000)]
    public Task The_masters_side_of_a_copy_larger_than_its_heap_limit_never_holds_the_file() => CappedMasterCopyAsync();

    private static Dictionary<string, string> Capped() => new() { ["DOTNET_GCHeapHardLimit"] = HeapLimit };

    private async Task CappedContextCopyAsync()
    {
        await using var router = new Router();
        Context ctx = await router.LocalAsync(new LocalOptions { Name = "capped", Environment = Capped() }).WaitAsync(Bound);
        long limit = await ctx.CallAsync(() => FileMemory.HeapLimit()).WaitAsync(Bound);
        Assert.True(limit <= HeapLimitBytes, $"{ctx.Name} did not take DOTNET_GCHeapHardLimit={HeapLimit}: its GC may use {limit} bytes");
        string source = MakeFile("large.bin", LargeLength, seed: 16);
        string pushed = Path.Combine(_dir, "large-pushed.bin");
        string fetched = Path.Combine(_dir, "large-fetched.bin");

        FileTransferResult up = await ctx.PushFileAsync(source, pushed).WaitAsync(TimeSpan.FromSeconds(100));
        FileTransferResult down = await ctx.FetchFileAsync(pushed, fetched).WaitAsync(TimeSpan.FromSeconds(100));

        long peakKib = FileMemory.PeakRssKib(ctx.RemoteProcessId);
        Assert.Equal(LargeLength, up.Bytes);
        Assert.Equal(LargeLength, down.Bytes);
        string expected = Hash(source);
        Assert.Equal(expected, await ctx.CallAsync(() => FileMemory.Sha256(pushed)).WaitAsync(Bound));
        Assert.Equal(expected, Hash(fetched));
        Assert.True(peakKib * 1024 < LargeLength, $"{ctx.Name}'s peak RSS reached {peakKib / 1024} MiB over a {LargeLength / (1024 * 1024)} MiB push and fetch");
    }

    private async Task CappedMasterCopyAsync()
    {
        await using var router = new Router();
        Context master = await router.LocalAsync(new LocalOptions { Name = "capped-master", Environment = Capped() }).WaitAsync(Bound);
        string source = MakeFile("large.bin", LargeLength, seed: 17);
        string pushed = Path.Combine(_dir, "large-pushed.bin");
        string fetched = Path.Combine(_dir, "large-fetched.bin");

        NestedCopy copy = await master.CallAsync(() => FileMemory.CopyAsMasterAsync(source, pushed, fetched, HeapLimit)).WaitAsync(TimeSpan.FromSeconds(220));

        Assert.True(copy.MasterHeapLimit <= HeapLimitBytes, $"{master.Name} did not take DOTNET_GCHeapHardLimit={HeapLimit}: its GC may use {copy.MasterHeapLimit} bytes");
        Assert.True(copy.TargetEnvironmentHasLimit, "the nested target was not started with DOTNET_GCHeapHardLimit");
        Assert.Equal(LargeLength, copy.Pushed);
        Assert.Equal(LargeLength, copy.Fetched);
        string expected = Hash(source);
        Assert.Equal(expected, Hash(pushed));
        Assert.Equal(expected, Hash(fetched));
        Assert.True(copy.MasterPeakKib * 1024 < LargeLength, $"the master's peak RSS reached {copy.MasterPeakKib / 1024} MiB over a {LargeLength / (1024 * 1024)} MiB push and fetch");
        Assert.True(copy.TargetPeakKib * 1024 < LargeLength, $"the target's peak RSS reached {copy.TargetPeakKib / 1024} MiB over a {LargeLength / (1024 * 1024)} MiB push and fetch");
    }

    // ------------------------------------------------------------------------------------------------

    private Tmpfs Mount(string name, string options)
    {
        Tmpfs mount = Tmpfs.Mount(Path.Combine(_dir, name), options);
        _mounts.Add(mount);
        return mount;
    }

    /// <summary>A file holding <see cref="OldContents"/> at DIRECTORY/NAME (the directory is made if needed).</summary>
    private static string OldFile(string directory, string name)
    {
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, OldContents);
        return path;
    }

    /// <summary>The old file still holds its old contents, and nothing else is beside it.</summary>
    private static void AssertOldFileAlone(string path)
    {
        string directory = Path.GetDirectoryName(path)!;
        Assert.Equal(OldContents, File.ReadAllText(path));
        string[] temporaries = Leftovers.Temporaries(directory);
        Assert.True(temporaries.Length == 0, $"temporary files left beside {path}: {string.Join(", ", temporaries)}");
        Assert.Equal([Path.GetFileName(path)], Directory.GetFileSystemEntries(directory).Select(Path.GetFileName));
    }

    private static void AssertNames(Exception error, string path, string contextName)
    {
        Assert.True(error.Message.Contains(path, StringComparison.Ordinal), $"the message does not name {path}: {error.Message}");
        Assert.True(error.Message.Contains(contextName, StringComparison.Ordinal), $"the message does not name the context {contextName}: {error.Message}");
    }

    /// <summary>The copy must fail (not hang, not succeed); returns what it threw.</summary>
    private static async Task<Exception> FailsAsync(Task copy, string what)
    {
        Task finished = await Task.WhenAny(copy, Task.Delay(Bound));
        Assert.True(finished == copy, $"{what}: neither finished nor failed within {Bound.TotalSeconds} s");
        Assert.True(copy.IsFaulted || copy.IsCanceled, $"{what}: it succeeded");
        Exception error = copy.Exception?.InnerException ?? new TaskCanceledException(copy);
        Assert.False(error is TaskCanceledException, $"{what}: it was cancelled rather than failing with an error");
        return error;
    }

    /// <summary>Type names down the exception chain; a remote exception counts as the type it was remotely.</summary>
    private static IEnumerable<string> Chain(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            yield return e is RemoteException remote ? remote.RemoteType : e.GetType().FullName!;
        }
    }

    private static bool IsIOException(string typeName) =>
        typeof(IOException).Assembly.GetType(typeName) is { } type && type.IsAssignableTo(typeof(IOException));

    /// <summary>A file of pseudo-random bytes from a fixed seed, written in 1 MiB pieces.</summary>
    private string MakeFile(string name, int length, int seed) => TestFiles.Write(Path.Combine(_dir, name), length, seed);

    private static string Hash(string path) => TestFiles.Sha256(path);
}
