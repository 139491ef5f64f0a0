namespace Econtext.TransportTests;

/// <summary>
/// su, which reads passwords from a terminal only. From root it asks nothing, so the password cases
/// run su inside an ssh context of a test user, towards another test user with a password.
/// </summary>
public sealed class SuTests(TestHosts hosts, ITestOutputHelper output) : BecomeSuite(hosts, output)
{
    protected override string Method => "su";

    protected override (TestUser Login, string Target, int TargetUid, TestUser PasswordOf) PasswordCase =>
        (Hosts.Key, Hosts.SudoPassword.Name, Hosts.SudoPassword.Uid, Hosts.SudoPassword);

    protected override Task<Context> BecomeAsync(Router router, string user, string? password, Context? via) =>
        router.SuAsync(new SuOptions { ConnectTimeout = Connect, User = user, Password = password, Via = via });

    // su: Authentication failure
    protected override void AssertQuotesWrongPassword(ConnectionException ex) => AssertQuotes(ex, "Authentication failure");
}
