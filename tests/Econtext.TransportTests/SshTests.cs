namespace Econtext.TransportTests;

/// <summary>Contexts started through OpenSSH's ssh client against the private sshd.</summary>
public sealed class SshTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 60000)]
    public async Task Key_login_runs_calls_as_the_login_user()
    {
        await using var router = new Router();

        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Key)).WaitAsync(Bound);

        Identity who = await AssertRunsAsAsync(web, Hosts.Key);
        Assert.Equal(Hosts.Key.Home, who.Home);
        Assert.StartsWith($"ssh:{Hosts.Key.Name}@{Hosts.Address}", web.Name, StringComparison.Ordinal);
        Assert.Contains(web, router.Contexts);
    }

    /// <summary>With ssh's own compression on, the core goes raw (no point deflating twice); both ways must start a context.</summary>
    [Fact(Timeout = 60000)]
    public async Task Key_login_with_ssh_compression_sends_the_core_raw_and_runs_calls()
    {
        await using var router = new Router();
        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Key) with { Compression = true }).WaitAsync(Bound);
        await AssertRunsAsAsync(web, Hosts.Key);
    }

    [Fact(Timeout = 60000)]
    public async Task Disposing_the_router_leaves_no_process_of_the_login_user()
    {
        int pid;
        await using (var router = new Router())
        {
            Context web = await router.SshAsync(Hosts.Ssh(Hosts.Tty)).WaitAsync(Bound);
            pid = (await AssertRunsAsAsync(web, Hosts.Tty)).ProcessId;
        }

        // The context, its sshd session and the user's shell are all gone soon after.
        Assert.True(await Processes.WaitGoneAsync([pid], TimeSpan.FromSeconds(15)), $"context process {pid} still runs");
        List<int> left = [];
        for (int i = 0; i < 150; i++)
        {
            left = Processes.All().Where(p => Processes.UidOf(p) == Hosts.Tty.Uid && Processes.IsRunning(p)).ToList();
            if (left.Count == 0)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.True(left.Count == 0, "still running as the login user: " + string.Join(", ", left.Select(p => $"{p} {Processes.CommandLine(p)}")));
    }

    /// <summary>
    /// Password login for a user without authorized_keys, with public keys switched off as well. The
    /// password must reach ssh without showing up in any process's argv or environment (ps).
    /// </summary>
    [Fact(Timeout = 60000)]
    public async Task Password_login_without_a_key()
    {
        TestUser user = Hosts.PasswordOnly;
        await using var router = new Router();
        await using SecretWatch watch = SecretWatch.Start(user.Password);

        Context web = await router.SshAsync(Hosts.Ssh(user) with
        {
            IdentityFile = null,
            Password = user.Password,
            SshArgs = [.. Hosts.Ssh(user).SshArgs, "-o", "PubkeyAuthentication=no"],
        }).WaitAsync(Bound);

        await AssertRunsAsAsync(web, user);
        await watch.AssertNeverSeenAsync();
        Assert.False(await web.CallAsync(() => Probe.EnvironmentContains(user.Password)).WaitAsync(Bound), "the password is in the context's environment");
    }

    [Fact(Timeout = 60000)]
    public async Task Host_alias_from_an_ssh_config_given_with_F()
    {
        await using var router = new Router();

        // Only the alias: host name, port, user and key all come from the -F file.
        Context web = await router.SshAsync(new SshOptions
        {
            Host = Hosts.Key.Alias,
            SshArgs = ["-F", Hosts.SshConfig],
            HostKeyPolicy = HostKeyPolicy.Enforce,
            ConnectTimeout = Connect,
        }).WaitAsync(Bound);

        await AssertRunsAsAsync(web, Hosts.Key);
        Assert.Equal("ssh:" + Hosts.Key.Alias, web.Name);
    }

    /// <summary>An sshd Banner on stderr, and ~/.bashrc and ~/.profile lines on stdout and stderr before stage 0 runs.</summary>
    [Fact(Timeout = 60000)]
    public async Task Noisy_login_with_banner_and_talking_bashrc()
    {
        await using var router = new Router();

        Context web = await StartAsync(() => router.SshAsync(Hosts.Ssh(Hosts.Noisy)), $"ssh to the noisy login {Hosts.Noisy}");

        await AssertRunsAsAsync(web, Hosts.Noisy);
    }

    /// <summary>
    /// ~/.bashrc prints a terminal-title escape with no newline after it, so stage 0's first line of
    /// output does not start at the beginning of a line.
    /// </summary>
    [Fact(Timeout = 60000)]
    public async Task Noisy_login_that_leaves_a_line_unfinished()
    {
        await using var router = new Router();

        Context web = await StartAsync(() => router.SshAsync(Hosts.Ssh(Hosts.NoisyNoNewline)), $"ssh to the noisy login {Hosts.NoisyNoNewline}");

        await AssertRunsAsAsync(web, Hosts.NoisyNoNewline);
    }

    /// <summary>fish parses the remote command itself: stage 0 has to survive fish's quoting rules.</summary>
    [Fact(Timeout = 60000)]
    public async Task Fish_login_shell()
    {
        Assert.True(Hosts.Fish is not null, "fish is not installed: apt-get install fish (listed in .ci/packages, which ./test installs when run as root)");
        await using var router = new Router();

        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Fish!)).WaitAsync(Bound);

        Identity who = await AssertRunsAsAsync(web, Hosts.Fish!);
        Assert.Equal(Hosts.Fish!.Shell, who.Shell);
    }

    /// <summary>tcsh parses the remote command itself (history expansion of !, no multi-line strings).</summary>
    [Fact(Timeout = 60000)]
    public async Task Csh_login_shell()
    {
        Assert.True(Hosts.Csh is not null, "tcsh is not installed: apt-get install tcsh (listed in .ci/packages, which ./test installs when run as root)");
        await using var router = new Router();

        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Csh!)).WaitAsync(Bound);

        Identity who = await AssertRunsAsAsync(web, Hosts.Csh!);
        Assert.Equal(Hosts.Csh!.Shell, who.Shell);
    }

    [Fact(Timeout = 60000)]
    public async Task AcceptNew_records_an_unknown_host_key()
    {
        string knownHosts = Hosts.NewKnownHosts();
        await using var router = new Router();

        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Key, knownHosts, HostKeyPolicy.AcceptNew)).WaitAsync(Bound);

        await AssertRunsAsAsync(web, Hosts.Key);
        string recorded = await File.ReadAllTextAsync(knownHosts);
        Assert.True(recorded.Contains(Hosts.KnownHostsName, StringComparison.Ordinal), "known_hosts after accept-new: " + recorded);
    }

    /// <summary>Ignore connects even though known_hosts holds another key; ssh's loud warning on stderr does not matter.</summary>
    [Fact(Timeout = 60000)]
    public async Task Ignore_connects_despite_a_changed_host_key()
    {
        string knownHosts = Hosts.NewKnownHosts($"{Hosts.KnownHostsName} {Hosts.OtherHostKey}");
        string before = await File.ReadAllTextAsync(knownHosts);
        await using var router = new Router();

        Context web = await router.SshAsync(Hosts.Ssh(Hosts.Key, knownHosts, HostKeyPolicy.Ignore)).WaitAsync(Bound);

        await AssertRunsAsAsync(web, Hosts.Key);
        Assert.Equal(before, await File.ReadAllTextAsync(knownHosts));
    }

    /// <summary>
    /// ssh run from inside an ssh context: the second ssh runs as k on the target, with k's own
    /// ~/.ssh/id_ed25519 and ~/.ssh/known_hosts (the fixture put them there).
    /// </summary>
    [Fact(Timeout = 60000)]
    public async Task Ssh_from_inside_an_ssh_context()
    {
        await using var router = new Router();
        Context first = await router.SshAsync(Hosts.Ssh(Hosts.Key)).WaitAsync(Bound);

        Context second = await router.SshAsync(new SshOptions
        {
            Host = Hosts.Address,
            Port = Hosts.Port,
            User = Hosts.NotSudoer.Name,
            HostKeyPolicy = HostKeyPolicy.Enforce,
            ConnectTimeout = Connect,
            Via = first,
        }).WaitAsync(Bound);

        await AssertRunsAsAsync(second, Hosts.NotSudoer);
        await AssertRunsAsAsync(first, Hosts.Key);
    }

    [Fact(Timeout = 60000)]
    public async Task Sudo_via_ssh_via_ssh_runs_as_root_three_hops_away()
    {
        await using var router = new Router();
        Context first = await router.SshAsync(Hosts.Ssh(Hosts.Key)).WaitAsync(Bound);
        Context second = await router.SshAsync(new SshOptions
        {
            Host = Hosts.Address,
            Port = Hosts.Port,
            User = Hosts.Key.Name,
            HostKeyPolicy = HostKeyPolicy.Enforce,
            ConnectTimeout = Connect,
            Name = "second-hop",
            Via = first,
        }).WaitAsync(Bound);
        Context root = await router.SudoAsync(new SudoOptions { User = "root", Via = second }).WaitAsync(Bound);

        Identity who = await root.CallAsync(() => Probe.Whoami()).WaitAsync(Bound);
        Assert.Equal("root", who.User);
        Assert.Equal(0, who.Uid);
        Assert.Equal("sudo:root@second-hop", root.Name);
        Assert.Equal(5, await root.CallAsync(() => Probe.Add(2, 3)).WaitAsync(Bound));
    }

    [Fact(Timeout = 60000)]
    public async Task Several_ssh_contexts_start_at_once()
    {
        await using var router = new Router();
        TestUser[] users = [Hosts.Key, Hosts.Tty, Hosts.NotSudoer, Hosts.SudoPassword, Hosts.Noisy, Hosts.TtyPassword];

        Context[] contexts = await Task.WhenAll(users.Select(u => router.SshAsync(Hosts.Ssh(u)))).WaitAsync(Bound);

        for (int i = 0; i < users.Length; i++)
        {
            await AssertRunsAsAsync(contexts[i], users[i]);
        }
    }
}
