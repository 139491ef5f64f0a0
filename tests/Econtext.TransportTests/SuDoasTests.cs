namespace Econtext.TransportTests;

/// <summary>
/// su and doas, which read passwords from a terminal only. From root, su asks nothing, so the
/// password cases run su inside an ssh context of a test user.
/// </summary>
public sealed class SuDoasTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 60000)]
    public async Task Su_with_the_target_users_password_from_a_non_root_context()
    {
        TestUser target = Hosts.SudoPassword;
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Key)).WaitAsync(Bound);
        await using SecretWatch watch = SecretWatch.Start(target.Password);

        Context context = await router.SuAsync(new SuOptions { ConnectTimeout = Connect, User = target.Name, Password = target.Password, Via = web }).WaitAsync(Bound);

        await AssertRunsAsAsync(context, target);
        await watch.AssertNeverSeenAsync();
        Assert.False(await context.CallAsync(() => Probe.EnvironmentContains(target.Password)).WaitAsync(Bound), "the password is in the context's environment");
    }

    [Fact(Timeout = 60000)]
    public async Task Su_locally_from_root_needs_no_password()
    {
        await using var router = new Router();

        Context context = await router.SuAsync(new SuOptions { ConnectTimeout = Connect, User = Hosts.Key.Name }).WaitAsync(Bound);

        await AssertRunsAsAsync(context, Hosts.Key);
    }

    [Fact(Timeout = 60000)]
    public async Task Su_with_a_wrong_password_is_PasswordIncorrect()
    {
        TestUser target = Hosts.SudoPassword;
        string wrong = WrongPassword();
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Key)).WaitAsync(Bound);
        await using SecretWatch watch = SecretWatch.Start(wrong, target.Password);

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.PasswordIncorrect,
            () => router.SuAsync(new SuOptions { ConnectTimeout = Connect, User = target.Name, Password = wrong, Via = web }),
            wrong,
            target.Password);

        // su: Authentication failure
        AssertQuotes(ex, "Authentication failure");
        await watch.AssertNeverSeenAsync();
    }

    [Fact(Timeout = 60000)]
    public async Task Su_without_a_password_from_a_non_root_context_is_PasswordRequired()
    {
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Key)).WaitAsync(Bound);

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.PasswordRequired,
            () => router.SuAsync(new SuOptions { ConnectTimeout = Connect, User = Hosts.SudoPassword.Name, Via = web }));

        Assert.Contains("Password", ex.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60000)]
    public async Task Doas_to_root_without_a_password()
    {
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Key)).WaitAsync(Bound);

        Context root = await router.DoasAsync(new DoasOptions { ConnectTimeout = Connect, User = "root", Via = web }).WaitAsync(Bound);

        await AssertRunsAsAsync(root, "root", 0);
    }

    [Fact(Timeout = 60000)]
    public async Task Doas_locally_from_root_to_a_test_user()
    {
        await using var router = new Router();

        // doas.conf: permit nopass root as ectXXXXk
        Context context = await router.DoasAsync(new DoasOptions { ConnectTimeout = Connect, User = Hosts.Key.Name }).WaitAsync(Bound);

        await AssertRunsAsAsync(context, Hosts.Key);
    }

    [Fact(Timeout = 60000)]
    public async Task Doas_with_a_password()
    {
        TestUser user = Hosts.SudoPassword;
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(user)).WaitAsync(Bound);
        await using SecretWatch watch = SecretWatch.Start(user.Password);

        Context root = await router.DoasAsync(new DoasOptions { ConnectTimeout = Connect, User = "root", Password = user.Password, Via = web }).WaitAsync(Bound);

        await AssertRunsAsAsync(root, "root", 0);
        await watch.AssertNeverSeenAsync();
    }

    [Fact(Timeout = 60000)]
    public async Task Doas_that_wants_a_password_without_one_is_PasswordRequired()
    {
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(Hosts.SudoPassword)).WaitAsync(Bound);

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.PasswordRequired,
            () => router.DoasAsync(new DoasOptions { ConnectTimeout = Connect, User = "root", Via = web }));

        Assert.Contains("Password", ex.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60000)]
    public async Task Doas_with_a_wrong_password_is_PasswordIncorrect()
    {
        TestUser user = Hosts.SudoPassword;
        string wrong = WrongPassword();
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(user)).WaitAsync(Bound);

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.PasswordIncorrect,
            () => router.DoasAsync(new DoasOptions { ConnectTimeout = Connect, User = "root", Password = wrong, Via = web }),
            wrong,
            user.Password);

        // doas: Authentication failed
        AssertQuotes(ex, "Authentication failed");
    }

    [Fact(Timeout = 60000)]
    public async Task Doas_for_a_user_without_a_rule_is_NotPermitted()
    {
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(Hosts.NotSudoer)).WaitAsync(Bound);

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.NotPermitted,
            () => router.DoasAsync(new DoasOptions { ConnectTimeout = Connect, User = "root", Via = web }));

        // doas: Operation not permitted
        AssertQuotes(ex, "Operation not permitted");
    }
}
