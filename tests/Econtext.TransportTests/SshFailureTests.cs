using System.Diagnostics;

namespace Econtext.TransportTests;

/// <summary>
/// Every way an ssh connection fails, produced for real against the private sshd (or a port with
/// nothing, or something silent, behind it). Each must come back as the right
/// <see cref="ConnectionFailure"/>, with a message that quotes ssh's own words and says what to do.
/// </summary>
public sealed class SshFailureTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 60000)]
    public async Task Nothing_listening_is_ConnectionRefused()
    {
        int port = SilentServer.FreePort();
        await using var router = new Router();

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.ConnectionRefused,
            () => router.SshAsync(Hosts.Ssh(Hosts.Key) with { Port = port }));

        // ssh: connect to host 127.0.0.1 port N: Connection refused
        AssertQuotes(ex, $"port {port}: Connection refused");
        Assert.StartsWith($"ssh:{Hosts.Key.Name}@{Hosts.Address}", ex.ContextName, StringComparison.Ordinal);
        Assert.Empty(router.Contexts);
    }

    [Fact(Timeout = 60000)]
    public async Task Unresolvable_name_is_HostUnresolved()
    {
        await using var router = new Router();

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.HostUnresolved,
            () => router.SshAsync(Hosts.Ssh(Hosts.Key) with { Host = "nonexistent.invalid" }));

        // ssh: Could not resolve hostname nonexistent.invalid: Name or service not known
        // (or "Temporary failure in name resolution" on a machine without DNS)
        AssertQuotes(ex, "Could not resolve hostname nonexistent.invalid");
    }

    [Fact(Timeout = 60000)]
    public async Task Unauthorized_key_is_AuthenticationFailed_not_a_password_problem()
    {
        await using var router = new Router();

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.AuthenticationFailed,
            () => router.SshAsync(Hosts.Ssh(Hosts.Key) with { IdentityFile = Hosts.WrongKey }));

        // ectXXXXk@127.0.0.1: Permission denied (publickey,password).
        AssertQuotes(ex, "Permission denied (publickey");
        foreach (string wrong in new[] { "password is incorrect", "incorrect password", "wrong password", "password was rejected", "PasswordIncorrect" })
        {
            Assert.DoesNotContain(wrong, ex.Message, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>
    /// A wrong password is PasswordIncorrect, not AuthenticationFailed. ssh itself cannot tell the
    /// two apart in its last line ("user@host: Permission denied (publickey,password)." either way;
    /// "Permission denied, please try again." only appears when it prompts more than once), but the
    /// transport can: it handed ssh a password and ssh asked for it, so the password was wrong, and
    /// what to do about it differs from a key that is not authorized.
    /// </summary>
    [Fact(Timeout = 60000)]
    public async Task Wrong_password_is_PasswordIncorrect_and_never_shown()
    {
        TestUser user = Hosts.PasswordOnly;
        string wrong = WrongPassword();
        await using var router = new Router();
        await using SecretWatch watch = SecretWatch.Start(wrong, user.Password);

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.PasswordIncorrect,
            () => router.SshAsync(Hosts.Ssh(user) with
            {
                IdentityFile = null,
                Password = wrong,
                SshArgs = [.. Hosts.Ssh(user).SshArgs, "-o", "PubkeyAuthentication=no"],
            }),
            wrong,
            user.Password);

        AssertQuotes(ex, "Permission denied");
        await watch.AssertNeverSeenAsync();
    }

    /// <summary>
    /// known_hosts line 2 holds another key for [127.0.0.1]:PORT. The message must carry what ssh
    /// printed: the fingerprint the server sent, the file and line of the offending key, and the
    /// ssh-keygen -R command that removes it.
    /// </summary>
    [Fact(Timeout = 60000)]
    public async Task Changed_host_key_is_HostKeyMismatch_with_fingerprint_file_line_and_fix()
    {
        string knownHosts = Hosts.NewKnownHosts($"unrelated.example.invalid {Hosts.OtherHostKey}", $"{Hosts.KnownHostsName} {Hosts.OtherHostKey}");
        await using var router = new Router();

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.HostKeyMismatch,
            () => router.SshAsync(Hosts.Ssh(Hosts.Key, knownHosts, HostKeyPolicy.Enforce)));

        AssertQuotes(ex, Hosts.HostKeyFingerprint);
        AssertQuotes(ex, knownHosts + ":2");
        AssertQuotes(ex, "ssh-keygen");
        AssertQuotes(ex, "-R");
        AssertQuotes(ex, Hosts.KnownHostsName);
    }

    [Fact(Timeout = 60000)]
    public async Task Unknown_host_key_under_Enforce_is_HostKeyUnknown()
    {
        string knownHosts = Hosts.NewKnownHosts();
        await using var router = new Router();

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.HostKeyUnknown,
            () => router.SshAsync(Hosts.Ssh(Hosts.Key, knownHosts, HostKeyPolicy.Enforce)));

        // No ED25519 host key is known for [127.0.0.1]:N and you have requested strict checking.
        // Host key verification failed.
        AssertQuotes(ex, "Host key verification failed");
        AssertQuotes(ex, Hosts.KnownHostsName);
        Assert.Equal(string.Empty, await File.ReadAllTextAsync(knownHosts));
    }

    /// <summary>The server accepts the TCP connection and never sends its SSH banner.</summary>
    [Fact(Timeout = 60000)]
    public async Task Silent_server_is_ConnectTimeout_within_the_timeout()
    {
        using var silent = new SilentServer();
        await using var router = new Router();
        var clock = Stopwatch.StartNew();

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.ConnectTimeout,
            () => router.SshAsync(Hosts.Ssh(Hosts.Key) with { Port = silent.Port, ConnectTimeout = TimeSpan.FromSeconds(2) }));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed.TotalSeconds:0.0} s with ConnectTimeout = 2 s");
        Assert.True(silent.Accepted >= 1, "ssh never connected to the silent server");
        Assert.Contains("timed out", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The user is chrooted by sshd (ChrootDirectory) into a tree with a shell and no .NET, so none
    /// of the places stage 0 searches has a dotnet: not faked by environment variables.
    /// </summary>
    [Fact(Timeout = 60000)]
    public async Task Target_without_dotnet_is_RuntimeNotFound_when_shipping_is_off()
    {
        await using var router = new Router(new RouterOptions { ShipRuntime = false });

        ConnectionException ex = await ExpectFailureAsync(
            ConnectionFailure.RuntimeNotFound,
            () => router.SshAsync(Hosts.Ssh(Hosts.NoRuntime)));

        AssertQuotes(ex, "/usr/share/dotnet");
        Assert.Contains("DotnetPath", ex.Message, StringComparison.Ordinal);
    }
}
