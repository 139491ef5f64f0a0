namespace Econtext.TransportTests.Cli;

/// <summary>
/// The econtext tool reaching a real chroot (the fixture's tree without .NET, so the runtime is shipped in) the way
/// an Ansible inventory names it and by a chroot:// target, with become and --via showing where each step runs.
/// </summary>
public sealed class ContainerCliTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 120000)]
    public async Task An_inventory_chroot_host_runs_the_command_inside_the_directory()
    {
        (string inside, string content) = WriteMarker();
        string inventory = Write("hosts.ini", $"""
            [jails]
            jail ansible_host={Hosts.ChrootDir}

            [jails:vars]
            ansible_connection=community.general.chroot
            # Ansible's chroot plugin reads no user; neither does econtext.
            ansible_user={Hosts.NotSudoer.Name}
            """);
        try
        {
            CliResult result = await CliProcess.RunAsync(Output, ["exec", "-i", inventory, "all", "--json", "--shell", "--", $"cat {inside}; id -u"]);

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal($"{content}0\n", (string?)result.Host("jail")["stdout"]);
            // Outside the chroot that path does not exist: the command ran in there.
            Assert.False(File.Exists(inside));
            // The run's agent keeps contexts warm between commands; once it is stopped, nothing of them is left.
            CliProcess.StopAgent(CliProcess.AgentDirectory);
            Assert.Empty(ProcessesRootedIn(Hosts.ChrootDir));
        }
        finally
        {
            File.Delete(Hosts.ChrootDir + inside);
        }
    }

    [Fact(Timeout = 120000)]
    public async Task A_chroot_target_on_the_command_line_and_become_runs_sudo_inside_it()
    {
        (string inside, string content) = WriteMarker();
        string target = "chroot://" + Hosts.ChrootDir;
        try
        {
            CliResult plain = await CliProcess.RunAsync(Output, ["exec", target, "--json", "--", "cat", inside]);
            Assert.True(plain.ExitCode == 0, plain.ToString());
            Assert.Equal(content, (string?)plain.Host(target)["stdout"]);

            // This machine has sudo and the tests run as root, so sudo before chroot would succeed; the chroot has
            // no sudo, so become failing for want of it shows that it ran inside, as Ansible's become does.
            CliResult become = await CliProcess.RunAsync(Output, ["exec", target, "--become", "--json", "--", "id", "-u"]);
            // Reached, then sudo failed: Ansible's FAILED (exit 2), not unreachable.
            Assert.Equal(2, become.ExitCode);
            Assert.Equal("failed", (string?)become.Host(target)["status"]);
            Assert.Contains("sudo", (string?)become.Host(target)["error"], StringComparison.Ordinal);
            // The run's agent keeps contexts warm between commands; once it is stopped, nothing of them is left.
            CliProcess.StopAgent(CliProcess.AgentDirectory);
            Assert.Empty(ProcessesRootedIn(Hosts.ChrootDir));
        }
        finally
        {
            File.Delete(Hosts.ChrootDir + inside);
        }
    }

    [Fact(Timeout = 120000)]
    public async Task With_via_chroot_runs_on_the_via_host_as_its_login_user()
    {
        // chroot is in /usr/sbin, off an ordinary user's PATH: the inventory names it, as Ansible's ansible_chroot_exe does.
        string inventory = Write("hosts.ini", $"jail ansible_connection=chroot ansible_host={Hosts.ChrootDir} ansible_chroot_exe=/usr/sbin/chroot\n");

        // ect-k logs in as a user who is not root, so chroot, run there, is refused; run here (as root) it works.
        CliResult result = await CliProcess.RunAsync(Output, ["exec", "-F", Hosts.SshConfig, "-i", inventory, "--via", "ect-k", "jail", "--json", "--", "true"]);

        Assert.Equal(4, result.ExitCode);
        var host = result.Host("jail");
        Assert.Equal("NotPermitted", (string?)host["failure"]);
        Assert.Contains("jail@ect-k", (string?)host["error"], StringComparison.Ordinal);
        // The run's agent keeps contexts warm between commands; once it is stopped, nothing of them is left.
        CliProcess.StopAgent(CliProcess.AgentDirectory);
        Assert.Empty(ProcessesRootedIn(Hosts.ChrootDir));
    }

    [Fact(Timeout = 60000)]
    public async Task A_via_host_must_be_reached_by_ssh()
    {
        CliResult result = await CliProcess.RunAsync(Output, ["exec", "--via", "podman://bastion", "web1", "--", "true"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--via takes an ssh host", result.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Processes whose root directory is <paramref name="directory"/>: what runs in the chroot now.</summary>
    internal static List<int> ProcessesRootedIn(string directory)
    {
        var found = new List<int>();
        foreach (int pid in Processes.All())
        {
            try
            {
                if (new DirectoryInfo($"/proc/{pid}/root").LinkTarget == directory && Processes.IsRunning(pid))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to look at; the tests run as root, so not a process of theirs.
            }
        }

        return found;
    }

    /// <summary>A file in the chroot's /tmp: its path inside the chroot and what it holds.</summary>
    private (string Inside, string Content) WriteMarker()
    {
        string id = Guid.NewGuid().ToString("N")[..12];
        string inside = $"/tmp/econtext-cli-{id}";
        File.WriteAllText(Hosts.ChrootDir + inside, id + "\n");
        return (inside, id + "\n");
    }
}
