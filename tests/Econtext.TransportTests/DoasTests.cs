namespace Econtext.TransportTests;

/// <summary>doas, which reads passwords from a terminal only, under the doas.conf lines the fixture wrote.</summary>
public sealed class DoasTests(TestHosts hosts, ITestOutputHelper output) : BecomeSuite(hosts, output)
{
    protected override string Method => "doas";

    protected override (TestUser Login, string Target, int TargetUid, TestUser PasswordOf) PasswordCase =>
        (Hosts.SudoPassword, "root", 0, Hosts.SudoPassword);

    protected override Task<Context> BecomeAsync(Router router, string user, string? password, Context? via) =>
        router.DoasAsync(new DoasOptions { ConnectTimeout = Connect, User = user, Password = password, Via = via });

    // doas: Authentication failed
    protected override void AssertQuotesWrongPassword(ConnectionException ex) => AssertQuotes(ex, "Authentication failed");

    [Fact(Timeout = 60000)]
    public async Task Doas_to_root_without_a_password()
    {
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Key)).WaitAsync(Bound);

        Context root = await router.DoasAsync(new DoasOptions { ConnectTimeout = Connect, User = "root", Via = web }).WaitAsync(Bound);

        await AssertRunsAsAsync(root, "root", 0);
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
