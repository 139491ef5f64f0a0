namespace Econtext.TransportTests;

/// <summary>chroot's own refusals, classified and quoted: no directory, no such user, no /bin/sh, not root.</summary>
[Trait("Needs", "root")]
public sealed class ChrootFailureTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 60000)]
    public async Task A_directory_that_does_not_exist_is_ContainerNotFound()
    {
        string missing = "/nonexistent-econtext-" + Guid.NewGuid().ToString("N")[..12];
        await using var router = new Router();

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.ContainerNotFound,
            () => router.ChrootAsync(new ChrootOptions { Directory = missing, ConnectTimeout = Connect }));

        AssertQuotes(ex, $"chroot: cannot change root directory to '{missing}': No such file or directory");
    }

    [Fact(Timeout = 60000)]
    public async Task A_user_the_directory_does_not_know_is_UserUnknown()
    {
        await using var router = new Router();

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.UserUnknown,
            () => router.ChrootAsync(new ChrootOptions { Directory = Hosts.ChrootDir, User = "nosuchuser-econtext", ConnectTimeout = Connect }));

        AssertQuotes(ex, "chroot: invalid user");
    }

    [Fact(Timeout = 60000)]
    public async Task A_directory_without_bin_sh_is_ShellNotFound()
    {
        string empty = Path.Combine(Path.GetTempPath(), "econtext-noshell-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path.Combine(empty, "tmp"));
        try
        {
            await using var router = new Router();

            ConnectionException ex = await ExpectFailureAsync(
                ConnectionFailure.ShellNotFound,
                () => router.ChrootAsync(new ChrootOptions { Directory = empty, ConnectTimeout = Connect }));

            // Quoted as chroot wrote it: with the locale's quotation marks around the command.
            AssertQuotes(ex, "chroot: failed to run command");
            AssertQuotes(ex, "/bin/sh");
            AssertQuotes(ex, "No such file or directory");
            Assert.Equal(["tmp"], Directory.GetFileSystemEntries(empty).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [Fact(Timeout = 60000)]
    public async Task As_a_user_who_is_not_root_it_is_NotPermitted()
    {
        await using var router = new Router();
        Context user = await StartAsync(() => router.SudoAsync(new SudoOptions { User = Hosts.NotSudoer.Name, ConnectTimeout = Connect }), "sudo to a user who is not root");

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.NotPermitted,
            () => router.ChrootAsync(new ChrootOptions { Directory = Hosts.ChrootDir, ConnectTimeout = Connect, Via = user }));

        AssertQuotes(ex, $"chroot: cannot change root directory to '{Hosts.ChrootDir}': Operation not permitted");
        Assert.Equal($"chroot:{Hosts.ChrootDir}@{user.Name}", ex.ContextName);
    }
}
