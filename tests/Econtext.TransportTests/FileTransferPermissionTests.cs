using System.Security.Cryptography;

namespace Econtext.TransportTests;

/// <summary>
/// File copies refused with EACCES ("permission denied"). Root ignores permission bits, so the
/// context runs as a test user (local sudo from this root process, as in <see cref="SudoTests"/>) and
/// the files it is denied are root's. The error names the path and the context, the old destination
/// stays as it was, and no temporary file (<c>.NAME.econtext-xxxxxxxx</c>) is left beside it.
/// (The master's side cannot be refused the same way: this test process is root.)
/// </summary>
public sealed class FileTransferPermissionTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output), IDisposable
{
    private const string OldContents = "old contents, which a refused copy must leave alone";
    private const UnixFileMode Mode755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const UnixFileMode Mode666 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>Root's, 0755: the test user may enter it and read in it, not write in it.</summary>
    private readonly string _dir = MakeOpenDirectory();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact(Timeout = 60000)]
    public async Task A_push_into_a_directory_the_user_may_not_write_fails_naming_the_path_and_the_context_and_keeps_the_old_file()
    {
        await using var router = new Router();
        Context ctx = await StartAsUserAsync(router);
        string locked = Path.Combine(_dir, "locked");
        Directory.CreateDirectory(locked);
        File.SetUnixFileMode(locked, Mode755);
        string destination = Path.Combine(locked, "target.bin");
        await File.WriteAllTextAsync(destination, OldContents);
        File.SetUnixFileMode(destination, Mode666); // the file itself is writable: only its directory refuses
        string source = Path.Combine(_dir, "source.bin");
        await File.WriteAllBytesAsync(source, RandomNumberGenerator.GetBytes(100_000));

        Exception error = await FailsAsync(ctx.PushFileAsync(source, destination), "pushing into a directory the user may not write");

        Output.WriteLine(error.ToString());
        AssertNames(error, destination, ctx.Name);
        Assert.True(
            error.Message.Contains("denied", StringComparison.OrdinalIgnoreCase) || error.Message.Contains("Permission", StringComparison.OrdinalIgnoreCase),
            $"the message does not say permission was denied: {error.Message}");
        AssertOldFileAlone(destination);
    }

    [Fact(Timeout = 60000)]
    public async Task A_fetch_of_a_file_the_user_may_not_read_fails_naming_the_path_and_the_context_and_keeps_the_old_file()
    {
        await using var router = new Router();
        Context ctx = await StartAsUserAsync(router);
        string secret = Path.Combine(_dir, "secret.bin");
        await File.WriteAllBytesAsync(secret, RandomNumberGenerator.GetBytes(100_000));
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string localDir = Path.Combine(_dir, "local");
        Directory.CreateDirectory(localDir);
        string local = Path.Combine(localDir, "target.bin");
        await File.WriteAllTextAsync(local, OldContents);

        Exception error = await FailsAsync(ctx.FetchFileAsync(secret, local), "fetching a file the user may not read");

        Output.WriteLine(error.ToString());
        AssertNames(error, secret, ctx.Name);
        Assert.True(
            error.Message.Contains("denied", StringComparison.OrdinalIgnoreCase) || error.Message.Contains("Permission", StringComparison.OrdinalIgnoreCase),
            $"the message does not say permission was denied: {error.Message}");
        AssertOldFileAlone(local);
    }

    [Fact(Timeout = 60000)]
    public async Task A_directory_push_into_a_directory_the_user_may_not_write_fails_naming_the_path_and_the_context()
    {
        await using var router = new Router();
        Context ctx = await StartAsUserAsync(router);
        string tree = Path.Combine(_dir, "tree");
        Directory.CreateDirectory(tree);
        await File.WriteAllBytesAsync(Path.Combine(tree, "a.bin"), RandomNumberGenerator.GetBytes(1000));
        string locked = Path.Combine(_dir, "locked");
        Directory.CreateDirectory(locked);
        File.SetUnixFileMode(locked, Mode755);
        string remoteTree = Path.Combine(locked, "tree");

        Exception error = await FailsAsync(ctx.PushDirectoryAsync(tree, remoteTree), "pushing a tree into a directory the user may not write");

        Output.WriteLine(error.ToString());
        AssertNames(error, remoteTree, ctx.Name);
        Assert.Empty(Directory.GetFileSystemEntries(locked));
    }

    [Fact(Timeout = 60000)]
    public async Task A_directory_fetch_of_a_tree_the_user_may_not_read_fails_naming_the_path_and_the_context()
    {
        await using var router = new Router();
        Context ctx = await StartAsUserAsync(router);
        string tree = Path.Combine(_dir, "private-tree");
        Directory.CreateDirectory(tree);
        await File.WriteAllBytesAsync(Path.Combine(tree, "a.bin"), RandomNumberGenerator.GetBytes(1000));
        File.SetUnixFileMode(tree, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string local = Path.Combine(_dir, "fetched-tree");

        Exception error = await FailsAsync(ctx.FetchDirectoryAsync(tree, local), "fetching a tree the user may not read");

        Output.WriteLine(error.ToString());
        AssertNames(error, tree, ctx.Name);
        Assert.False(Directory.Exists(local), "a refused tree fetch made its destination anyway");
    }

    private async Task<Context> StartAsUserAsync(Router router)
    {
        Context ctx = await StartAsync(() => router.SudoAsync(new SudoOptions { ConnectTimeout = Connect, User = Hosts.Key.Name }), "sudo -u " + Hosts.Key.Name);
        await AssertRunsAsAsync(ctx, Hosts.Key);
        return ctx;
    }

    private static string MakeOpenDirectory()
    {
        string dir = Directory.CreateTempSubdirectory("econtext-file-permissions-").FullName;
        File.SetUnixFileMode(dir, Mode755);
        return dir;
    }

    private static void AssertOldFileAlone(string path)
    {
        string directory = Path.GetDirectoryName(path)!;
        Assert.Equal(OldContents, File.ReadAllText(path));
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
        Assert.True(copy.IsFaulted, $"{what}: it {(copy.IsCanceled ? "was cancelled" : "succeeded")}");
        return copy.Exception!.InnerException!;
    }
}
