namespace Econtext.TransportTests;

/// <summary>
/// The fixture itself, checked with the plain tools (ssh, sudo, doas) and no Econtext transport:
/// these pass whatever state the transports are in, and say whether a transport test failed
/// because of the transport or because of the machine.
/// </summary>
public sealed class FixtureTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    private Task<RunResult> PlainSshAsync(TestUser user, string command, params string[] extra) =>
        Shell.RunAsync("/usr/bin/ssh", ["-F", Hosts.SshConfig, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", .. extra, user.Alias, command]);

    private static void AssertPrinted(RunResult result, string expected)
    {
        Assert.True(result.ExitCode == 0 && result.StandardOutput.Contains(expected, StringComparison.Ordinal), $"expected \"{expected}\" from: {result}");
    }

    [Fact(Timeout = 60000)]
    public async Task Fixture_works()
    {
        RunResult ssh = await PlainSshAsync(Hosts.Key, "id -un").WaitAsync(Bound);
        Assert.True(ssh.ExitCode == 0, ssh + Environment.NewLine + Hosts.DescribeSshdLog());
        Assert.Equal(Hosts.Key.Name, ssh.StandardOutput.Trim());

        RunResult sudo = await Shell.RunAsync("/usr/bin/sudo", "-n", "-u", Hosts.Key.Name, "id", "-un").WaitAsync(Bound);
        Assert.True(sudo.ExitCode == 0, sudo.ToString());
        Assert.Equal(Hosts.Key.Name, sudo.StandardOutput.Trim());

        // The test users can run the .NET host the contexts will use.
        RunResult dotnet = await Shell.RunAsync("/usr/bin/sudo", "-n", "-u", Hosts.Key.Name, "/usr/share/dotnet/dotnet", "--list-runtimes").WaitAsync(Bound);
        AssertPrinted(dotnet, "Microsoft.NETCore.App 10.");
    }

    [Fact(Timeout = 60000)]
    public async Task Fixture_sudo_and_doas_rules_are_in_force()
    {
        AssertPrinted(await PlainSshAsync(Hosts.Key, "sudo -n id -un").WaitAsync(Bound), "root");
        AssertPrinted(await PlainSshAsync(Hosts.Key, "doas -n id -un").WaitAsync(Bound), "root");
        AssertPrinted(await Shell.RunAsync("/usr/bin/doas", "-n", "-u", Hosts.Key.Name, "id", "-un").WaitAsync(Bound), Hosts.Key.Name);

        RunResult tty = await PlainSshAsync(Hosts.Tty, "sudo -n id -un").WaitAsync(Bound);
        Assert.True(tty.StandardError.Contains("you must have a tty", StringComparison.Ordinal), tty.ToString());
        AssertPrinted(await PlainSshAsync(Hosts.Tty, "sudo -n id -un", "-tt").WaitAsync(Bound), "root");

        foreach (TestUser user in new[] { Hosts.SudoPassword, Hosts.TtyPassword, Hosts.NotSudoer })
        {
            RunResult asks = await PlainSshAsync(user, "sudo -n id -un", "-tt").WaitAsync(Bound);
            Assert.True(asks.ExitCode != 0 && (asks.StandardOutput + asks.StandardError).Contains("a password is required", StringComparison.Ordinal), asks.ToString());
        }

        // sudo -S with the right password: p may, n is not in sudoers.
        RunResult p = await PlainSshAsync(Hosts.SudoPassword, "sudo -S -p '' id -un", "-o", "RequestTTY=no").WaitAsync(Bound);
        Assert.NotEqual(0, p.ExitCode); // no password on stdin
        RunResult n = await Shell.RunAsync(
            "/usr/bin/ssh",
            ["-F", Hosts.SshConfig, "-o", "BatchMode=yes", Hosts.NotSudoer.Alias, "sudo -S -p '' id -un"],
            standardInput: Hosts.NotSudoer.Password + "\n").WaitAsync(Bound);
        Assert.True(n.StandardError.Contains("is not in the sudoers file", StringComparison.Ordinal), n.ToString());
        RunResult p2 = await Shell.RunAsync(
            "/usr/bin/ssh",
            ["-F", Hosts.SshConfig, "-o", "BatchMode=yes", Hosts.SudoPassword.Alias, "sudo -S -p '' id -un"],
            standardInput: Hosts.SudoPassword.Password + "\n").WaitAsync(Bound);
        AssertPrinted(p2, "root");

        RunResult doas = await PlainSshAsync(Hosts.NotSudoer, "doas -n id -un").WaitAsync(Bound);
        Assert.True(doas.StandardError.Contains("Operation not permitted", StringComparison.Ordinal), doas.ToString());
    }

    [Fact(Timeout = 60000)]
    public async Task Fixture_password_login_works_with_plain_ssh()
    {
        // A throwaway askpass that prints the password from a root-only file.
        string secret = Path.Combine(Hosts.Dir, "fixture-askpass.secret");
        string askpass = Path.Combine(Hosts.Dir, "fixture-askpass.sh");
        await File.WriteAllTextAsync(secret, Hosts.PasswordOnly.Password);
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllTextAsync(askpass, $"#!/bin/sh\ncat {Shell.Quote(secret)}\n");
        File.SetUnixFileMode(askpass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            RunResult login = await Shell.RunAsync(
                "/usr/bin/ssh",
                ["-F", Hosts.SshConfig, "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1", Hosts.PasswordOnly.Alias, "id -un"],
                standardInput: null,
                environment: new Dictionary<string, string?> { ["SSH_ASKPASS"] = askpass, ["SSH_ASKPASS_REQUIRE"] = "force", ["DISPLAY"] = null }).WaitAsync(Bound);
            AssertPrinted(login, Hosts.PasswordOnly.Name);

            // The password user has no authorized key.
            RunResult key = await PlainSshAsync(Hosts.PasswordOnly, "id -un").WaitAsync(Bound);
            Assert.True(key.StandardError.Contains("Permission denied (publickey,password)", StringComparison.Ordinal), key.ToString());
        }
        finally
        {
            File.Delete(secret);
            File.Delete(askpass);
        }
    }

    [Fact(Timeout = 60000)]
    public async Task Fixture_noisy_logins_and_other_shells()
    {
        RunResult noisy = await PlainSshAsync(Hosts.Noisy, "echo payload").WaitAsync(Bound);
        AssertPrinted(noisy, "payload");
        Assert.Contains("This is ~/.bashrc talking on stdout.", noisy.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Authorized use only", noisy.StandardError, StringComparison.Ordinal);

        RunResult title = await PlainSshAsync(Hosts.NoisyNoNewline, "echo payload").WaitAsync(Bound);
        Assert.Contains("\u0007payload", title.StandardOutput, StringComparison.Ordinal);

        Assert.True(Hosts.Fish is not null, "fish is not installed: apt-get install fish (listed in .ci/packages, which ./test installs when run as root)");
        Assert.True(Hosts.Csh is not null, "tcsh is not installed: apt-get install tcsh (listed in .ci/packages, which ./test installs when run as root)");
        foreach (TestUser user in new[] { Hosts.Fish!, Hosts.Csh! })
        {
            RunResult shell = await PlainSshAsync(user, "echo $SHELL; id -un").WaitAsync(Bound);
            AssertPrinted(shell, user.Shell + "\n" + user.Name);
        }
    }

    /// <summary>The ps check of the password tests is not vacuous: it does see a secret on a short-lived command line or in an environment.</summary>
    [Fact(Timeout = 60000)]
    public async Task Fixture_secret_watch_sees_secrets_in_argv_and_environment()
    {
        string inArgv = "argv-" + Guid.NewGuid().ToString("N");
        string inEnvironment = "env-" + Guid.NewGuid().ToString("N");
        await using SecretWatch watch = SecretWatch.Start(inArgv, inEnvironment);

        await Shell.RunAsync("/usr/bin/sudo", "-n", "-u", Hosts.Key.Name, "/bin/sh", "-c", "sleep 0.2", "sh", inArgv).WaitAsync(Bound);
        await Shell.RunAsync("/bin/sh", ["-c", "sleep 0.2"], null, new Dictionary<string, string?> { ["SOME_SECRET"] = inEnvironment }).WaitAsync(Bound);

        IReadOnlyList<string> hits = await watch.StopAndGetHitsAsync();
        Assert.Contains(hits, h => h.Contains(inArgv, StringComparison.Ordinal) && h.Contains("cmdline", StringComparison.Ordinal));
        Assert.Contains(hits, h => h.Contains("environ", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60000)]
    public async Task Fixture_chroot_hides_every_dotnet()
    {
        RunResult look = await PlainSshAsync(
            Hosts.NoRuntime,
            "for f in /usr/share/dotnet/dotnet /usr/lib/dotnet/dotnet /usr/local/share/dotnet/dotnet /opt/dotnet/dotnet \"$HOME/.dotnet/dotnet\"; do "
            + "[ -e \"$f\" ] && echo \"found $f\"; done; command -v dotnet || echo 'no dotnet on PATH'; echo > /dev/null && echo searched").WaitAsync(Bound);
        AssertPrinted(look, "no dotnet on PATH\nsearched");
        Assert.DoesNotContain("found", look.StandardOutput, StringComparison.Ordinal);
        Assert.True(File.Exists("/usr/share/dotnet/dotnet"), "outside the chroot the runtime is where stage 0 looks");
    }
}
