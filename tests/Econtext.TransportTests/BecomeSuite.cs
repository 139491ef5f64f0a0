namespace Econtext.TransportTests;

/// <summary>
/// What each of sudo, su and doas must do, written once and run per method by
/// <see cref="SudoTests"/>, <see cref="SuTests"/> and <see cref="DoasTests"/>: become a test user
/// locally from root, and inside an ssh context of a test user take a password, refuse a wrong
/// one and ask for a missing one, without the password showing anywhere. What only one method
/// does (requiretty, sudoers, doas rules) stays in its own class.
/// </summary>
public abstract class BecomeSuite(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    /// <summary>"sudo", "su" or "doas": the command, and the prefix of the context's name.</summary>
    protected abstract string Method { get; }

    /// <summary>
    /// The password case: the test user that logs in over ssh, the user the method makes of it, and
    /// the test user whose password the method asks for (the login's for sudo and doas, the target's for su).
    /// </summary>
    protected abstract (TestUser Login, string Target, int TargetUid, TestUser PasswordOf) PasswordCase { get; }

    /// <summary>Starts a context as <paramref name="user"/> through this method.</summary>
    protected abstract Task<Context> BecomeAsync(Router router, string user, string? password, Context? via);

    /// <summary>The message quotes what this method says to a wrong password.</summary>
    protected abstract void AssertQuotesWrongPassword(ConnectionException ex);

    [Fact(Timeout = 60000)]
    public async Task Locally_from_root_to_a_test_user()
    {
        await using var router = new Router();

        Context context = await BecomeAsync(router, Hosts.Key.Name, password: null, via: null).WaitAsync(Bound);

        Identity who = await AssertRunsAsAsync(context, Hosts.Key);
        Assert.Equal(Method + ":" + Hosts.Key.Name, context.Name);
        Assert.Equal(Hosts.Key.Home, who.Home);
    }

    [Fact(Timeout = 60000)]
    public async Task With_a_password()
    {
        (TestUser login, string target, int targetUid, TestUser passwordOf) = PasswordCase;
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(login)).WaitAsync(Bound);
        await using SecretWatch watch = SecretWatch.Start(passwordOf.Password);

        Context context = await BecomeAsync(router, target, passwordOf.Password, web).WaitAsync(Bound);

        await AssertRunsAsAsync(context, target, targetUid);
        await watch.AssertNeverSeenAsync();
        Assert.False(await context.CallAsync(() => Probe.EnvironmentContains(passwordOf.Password)).WaitAsync(Bound), "the password is in the context's environment");
    }

    [Fact(Timeout = 60000)]
    public async Task With_a_wrong_password_is_PasswordIncorrect()
    {
        (TestUser login, string target, _, TestUser passwordOf) = PasswordCase;
        string wrong = WrongPassword();
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(login)).WaitAsync(Bound);
        await using SecretWatch watch = SecretWatch.Start(wrong, passwordOf.Password);

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.PasswordIncorrect,
            () => BecomeAsync(router, target, wrong, web),
            wrong,
            passwordOf.Password);

        AssertQuotesWrongPassword(ex);
        await watch.AssertNeverSeenAsync();
        Assert.Null(web.DisconnectReason);
    }

    [Fact(Timeout = 60000)]
    public async Task Without_a_password_where_one_is_needed_is_PasswordRequired()
    {
        (TestUser login, string target, _, _) = PasswordCase;
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(login)).WaitAsync(Bound);

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.PasswordRequired,
            () => BecomeAsync(router, target, password: null, web));

        // e.g. "sudo: a password is required" and what to do: set the options' Password.
        Assert.Contains("Password", ex.Message, StringComparison.Ordinal);
        Assert.Null(web.DisconnectReason);
    }
}
