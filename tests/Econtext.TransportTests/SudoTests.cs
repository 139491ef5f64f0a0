namespace Econtext.TransportTests;

/// <summary>
/// Contexts as another user through sudo: locally (this test process is root) and inside ssh
/// contexts of the test users, whose sudoers rules the fixture wrote.
/// </summary>
public sealed class SudoTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
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

    [Fact(Timeout = 60000)]
    public async Task Sudo_locally_from_root_to_a_test_user()
    {
        await using var router = new Router();

        Context context = await router.SudoAsync(new SudoOptions { ConnectTimeout = Connect, User = Hosts.Key.Name }).WaitAsync(Bound);

        Identity who = await AssertRunsAsAsync(context, Hosts.Key);
        Assert.Equal("sudo:" + Hosts.Key.Name, context.Name);
        Assert.Equal(Hosts.Key.Home, who.Home);
    }

    [Fact(Timeout = 60000)]
    public async Task Sudo_with_a_password()
    {
        TestUser user = Hosts.SudoPassword;
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(user)).WaitAsync(Bound);
        await using SecretWatch watch = SecretWatch.Start(user.Password);

        Context root = await router.SudoAsync(new SudoOptions { ConnectTimeout = Connect, User = "root", Password = user.Password, Via = web }).WaitAsync(Bound);

        await AssertRunsAsAsync(root, "root", 0);
        await watch.AssertNeverSeenAsync();
        Assert.False(await root.CallAsync(() => Probe.EnvironmentContains(user.Password)).WaitAsync(Bound), "the password is in the context's environment");
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

    [Fact(Timeout = 60000)]
    public async Task Sudo_that_wants_a_password_without_one_is_PasswordRequired()
    {
        TestUser user = Hosts.SudoPassword;
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(user)).WaitAsync(Bound);

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.PasswordRequired,
            () => router.SudoAsync(new SudoOptions { ConnectTimeout = Connect, User = "root", Via = web }));

        // sudo: a password is required   (what to do: set SudoOptions.Password)
        Assert.Contains("password", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Password", ex.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60000)]
    public async Task Sudo_with_a_wrong_password_is_PasswordIncorrect()
    {
        TestUser user = Hosts.SudoPassword;
        string wrong = WrongPassword();
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(user)).WaitAsync(Bound);
        await using SecretWatch watch = SecretWatch.Start(wrong, user.Password);

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.PasswordIncorrect,
            () => router.SudoAsync(new SudoOptions { ConnectTimeout = Connect, User = "root", Password = wrong, Via = web }),
            wrong,
            user.Password);

        // sudo: "Sorry, try again." and, after its last attempt, "sudo: N incorrect password attempts".
        Assert.True(
            ex.Message.Contains("Sorry, try again", StringComparison.Ordinal) || ex.Message.Contains("incorrect password attempt", StringComparison.Ordinal),
            "the message does not quote sudo: " + ex.Message);
        await watch.AssertNeverSeenAsync();
        Assert.Null(web.DisconnectReason);
    }
}
