namespace Econtext.TransportTests;

/// <summary>PreserveOwner needs root where the copy is written; a login user is told so and nothing is written.</summary>
public sealed class FileOwnerTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 60000)]
    public async Task Keeping_the_owner_as_a_login_user_fails_saying_it_needs_root_and_writes_nothing()
    {
        string source = Path.Combine(Path.GetTempPath(), $"econtext-owner-{Guid.NewGuid():N}.bin");
        await File.WriteAllBytesAsync(source, new byte[4096]);
        try
        {
            await using var router = new Router();
            Context web = await StartAsync(() => router.SshAsync(Hosts.Ssh(Hosts.Key)), "ssh as a login user");
            string destination = Hosts.Key.Home + "/owned.bin";

            RemoteException refused = await Assert.ThrowsAsync<RemoteException>(
                () => web.PushFileAsync(source, destination, new FileTransferOptions { PreserveOwner = true })).WaitAsync(Bound);
            Output.WriteLine(refused.Message);
            Assert.Contains("needs root", refused.Message, StringComparison.Ordinal);
            Assert.Contains(web.Name, refused.Message, StringComparison.Ordinal);
            Assert.Contains(destination, refused.Message, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFiles(Hosts.Key.Home, "*owned*"));

            await web.PushFileAsync(source, destination).WaitAsync(Bound);
            RunResult owner = await Shell.CheckAsync("/usr/bin/stat", "-c", "%u", destination);
            Assert.Equal(Hosts.Key.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), owner.StandardOutput.Trim());
        }
        finally
        {
            File.Delete(source);
        }
    }
}
