namespace Econtext.TransportTests;

/// <summary>
/// Contexts as another user through sudo: locally (this test process is root) and inside ssh
/// contexts of the test users, whose sudoers rules the fixture wrote.
/// </summary>
public sealed class SudoTests(TestHosts hosts, ITestOutputHelper output) : BecomeSuite(hosts, output)
{
    protected override string Method => "sudo";

    protected override (TestUser Login, string Target, int TargetUid, TestUser PasswordOf) PasswordCase =>
        (Hosts.SudoPassword, "root", 0, Hosts.SudoPassword);

    protected override Task<Context> BecomeAsync(Router router, string user, string? password, Context? via) =>
        router.SudoAsync(new SudoOptions { ConnectTimeout = Connect, User = user, Password = password, Via = via });

    // sudo: "Sorry, try again." and, after its last attempt, "sudo: N incorrect password attempts".
    protected override void AssertQuotesWrongPassword(ConnectionException ex) =>
        Assert.True(
            ex.Message.Contains("Sorry, try again", StringComparison.Ordinal) || ex.Message.Contains("incorrect password attempt", StringComparison.Ordinal),
            "the message does not quote sudo: " + ex.Message);

    [Fact(Timeout = 60000)]
    public async Task Sudo_to_root_inside_an_ssh_context_without_a_password()
    {
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Key)).WaitAsync(Bound);

        Context root = await router.SudoAsync(new SudoOptions { ConnectTimeout = Connect, User = "root", Via = web }).WaitAsync(Bound);

        await AssertRunsAsAsync(root, "root", 0);
        Assert.Equal($"sudo:root@{web.Name}", root.Name);

        // And on from root to another user, a third hop.
        Context other = await router.SudoAsync(new SudoOptions { ConnectTimeout = Connect, User = Hosts.NotSudoer.Name, Via = root }).WaitAsync(Bound);
        await AssertRunsAsAsync(other, Hosts.NotSudoer);
        await AssertRunsAsAsync(web, Hosts.Key);
    }

    /// <summary>Defaults requiretty: sudo refuses to run without a terminal ("sorry, you must have a tty to run sudo").</summary>
    [Fact(Timeout = 60000)]
    public async Task Sudo_under_requiretty()
    {
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Tty)).WaitAsync(Bound);

        Context root = await router.SudoAsync(new SudoOptions { ConnectTimeout = Connect, User = "root", Via = web }).WaitAsync(Bound);

        await AssertRunsAsAsync(root, "root", 0);
    }

    [Fact(Timeout = 60000)]
    public async Task Sudo_under_requiretty_with_a_password()
    {
        TestUser user = Hosts.TtyPassword;
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(user)).WaitAsync(Bound);
        await using SecretWatch watch = SecretWatch.Start(user.Password);

        Context root = await router.SudoAsync(new SudoOptions { ConnectTimeout = Connect, User = "root", Password = user.Password, Via = web }).WaitAsync(Bound);

        await AssertRunsAsAsync(root, "root", 0);
        await watch.AssertNeverSeenAsync();
    }

    /// <summary>
    /// sudo asks a user who is not in sudoers for their password before it says so (it does not
    /// tell strangers who may sudo), so the right password is given: then sudo answers
    /// "USER is not in the sudoers file."
    /// </summary>
    [Fact(Timeout = 60000)]
    public async Task User_not_in_sudoers_is_NotPermitted()
    {
        TestUser user = Hosts.NotSudoer;
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(user)).WaitAsync(Bound);

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.NotPermitted,
            () => router.SudoAsync(new SudoOptions { ConnectTimeout = Connect, User = "root", Password = user.Password, Via = web }),
            user.Password);

        AssertQuotes(ex, "is not in the sudoers file");
        Assert.Null(web.DisconnectReason);
    }
}
