using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Econtext.TransportTests.Cli;

/// <summary>
/// The agent that keeps contexts warm between commands, run as users run it: each test has its own agent
/// (a private directory), real ssh to the test sshd, and checks what is left afterwards (processes, the
/// socket), not only what the commands printed.
/// </summary>
public sealed class AgentTests : TransportTest, IDisposable
{
    private readonly string _agentDirectory;

    public AgentTests(TestHosts hosts, ITestOutputHelper output)
        : base(hosts, output)
    {
        _agentDirectory = Path.Combine(Path.GetTempPath(), "econtext-agent-test-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_agentDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private string[] Ssh => ["-F", Hosts.SshConfig];

    public void Dispose()
    {
        CliProcess.StopAgent(_agentDirectory);
        Directory.Delete(_agentDirectory, recursive: true);
    }

    [Fact(Timeout = 120000)]
    public async Task The_second_command_to_a_host_starts_no_ssh_and_no_runtime()
    {
        CliResult first = await RunAsync(["exec", .. Ssh, "ect-k", "--", "id", "-un"]);
        Assert.True(first.ExitCode == 0, first.ToString());
        AgentStatus before = await StatusAsync();
        WarmContextRow context = before.Context("ect-k");
        Assert.Equal(1, context.Uses);
        HashSet<int> agentProcesses = [.. Processes.Descendants(before.AgentPid)];
        Assert.Single(agentProcesses, pid => Processes.CommandLine(pid).StartsWith("ssh", StringComparison.Ordinal));
        HashSet<int> userProcesses = [.. Processes.All().Where(pid => Processes.UidOf(pid) == Hosts.Key.Uid)];

        CliResult second = await RunAsync(["exec", .. Ssh, "ect-k", "--", "id", "-un"]);

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("ect-k | " + Hosts.Key.Name, second.Stdout, StringComparison.Ordinal);
        AgentStatus after = await StatusAsync();
        Assert.Equal(before.AgentPid, after.AgentPid);
        Assert.Equal(context.Pid, after.Context("ect-k").Pid);
        Assert.Equal(2, after.Context("ect-k").Uses);

        // Nothing new under the agent (no ssh) and, on the host, nothing of the user's but the same processes (no runtime).
        Assert.Equal(agentProcesses, [.. Processes.Descendants(after.AgentPid)]);
        // (Other tests' contexts of the run's shared agent may end meanwhile: only a new process would be ours.)
        Assert.Empty(Processes.All().Where(pid => Processes.UidOf(pid) == Hosts.Key.Uid).Except(userProcesses));
    }

    [Fact(Timeout = 120000)]
    public async Task A_context_killed_between_commands_is_started_again_and_the_host_says_so()
    {
        Assert.Equal(0, (await RunAsync(["exec", .. Ssh, "ect-k", "--", "true"])).ExitCode);
        int killed = (await StatusAsync()).Context("ect-k").Pid;
        Processes.Signal(killed, Processes.SigKill);
        Assert.True(await ProcessWatch.WaitForExitAsync(killed, Bound));

        CliResult result = await RunAsync(["exec", .. Ssh, "ect-k", "--json", "--", "id", "-un"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonObject host = result.Host("ect-k");
        Assert.Equal("ok", (string?)host["status"]);
        Assert.Equal(Hosts.Key.Name + "\n", (string?)host["stdout"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)host["reconnected"]), result.ToString());
        WarmContextRow now = (await StatusAsync()).Context("ect-k");
        Assert.NotEqual(killed, now.Pid);
        Assert.True(Processes.IsRunning(now.Pid));

        CliResult text = await RunAsync(["exec", .. Ssh, "ect-k", "--", "true"]);
        Assert.DoesNotContain("reconnected", text.Stdout + text.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task A_context_that_stopped_answering_is_noticed_by_the_health_check_and_started_again()
    {
        Assert.Equal(0, (await RunAsync(["exec", .. Ssh, "ect-k", "--", "true"])).ExitCode);
        int frozen = (await StatusAsync()).Context("ect-k").Pid;

        // As a host cut off behind a live connection: the process is there and answers nothing.
        Processes.Signal(frozen, 19);
        try
        {
            CliResult result = await RunAsync(["exec", .. Ssh, "ect-k", "--json", "--", "id", "-un"]);

            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Contains("health check", (string?)result.Host("ect-k")["reconnected"], StringComparison.Ordinal);
            Assert.NotEqual(frozen, (await StatusAsync()).Context("ect-k").Pid);
        }
        finally
        {
            Processes.Signal(frozen, 18);
        }

        // Its replacement's start shut the frozen one down: once it runs again it finds its pipe closed and exits.
        Assert.True(await ProcessWatch.WaitForExitAsync(frozen, Bound), "the frozen context stayed");
    }

    [Fact(Timeout = 120000)]
    public async Task A_changed_inventory_variable_gives_a_new_context_and_keeps_the_old_one_apart()
    {
        string Inventory(string user) => Write("hosts.ini", $"""
            [web]
            web1 ansible_user={user}

            [all:vars]
            ansible_host=127.0.0.1
            ansible_port={Hosts.Port}
            ansible_ssh_common_args='-F {Hosts.SshConfig}'
            ansible_ssh_private_key_file={Hosts.ClientKey}
            """);

        CliResult asKey = await RunAsync(["exec", "-i", Inventory(Hosts.Key.Name), "web", "--", "id", "-un"]);
        CliResult asOther = await RunAsync(["exec", "-i", Inventory(Hosts.NotSudoer.Name), "web", "--", "id", "-un"]);
        CliResult asKeyAgain = await RunAsync(["exec", "-i", Inventory(Hosts.Key.Name), "web", "--", "id", "-un"]);

        Assert.Contains("web1 | " + Hosts.Key.Name, asKey.Stdout, StringComparison.Ordinal);
        Assert.Contains("web1 | " + Hosts.NotSudoer.Name, asOther.Stdout, StringComparison.Ordinal);
        Assert.Contains("web1 | " + Hosts.Key.Name, asKeyAgain.Stdout, StringComparison.Ordinal);
        IReadOnlyList<WarmContextRow> contexts = (await StatusAsync()).Contexts;
        Assert.Equal(2, contexts.Count(c => c.Name == "web1"));
        Assert.Contains(contexts, c => c.Name == "web1" && c.Uses == 2 && c.ReachedAs.Contains(Hosts.Key.Name + "@", StringComparison.Ordinal));
        Assert.Contains(contexts, c => c.Name == "web1" && c.Uses == 1 && c.ReachedAs.Contains(Hosts.NotSudoer.Name + "@", StringComparison.Ordinal));
    }

    [Fact(Timeout = 120000)]
    public async Task Become_is_a_context_of_its_own_inside_the_warm_login()
    {
        string password = Write("pass", Hosts.SudoPassword.Password + "\n");
        CliResult plain = await RunAsync(["exec", .. Ssh, "ect-p", "--", "id", "-un"]);
        CliResult root = await RunAsync(["exec", .. Ssh, "ect-p", "--become", "--become-password-file", password, "--", "id", "-un"]);
        CliResult rootAgain = await RunAsync(["exec", .. Ssh, "ect-p", "--become", "--become-password-file", password, "--", "id", "-un"]);
        CliResult wrong = await RunAsync(["exec", .. Ssh, "ect-p", "--become", "--become-password-file", Write("wrong", "nope\n"), "--json", "--", "id", "-un"]);

        Assert.Contains("ect-p | " + Hosts.SudoPassword.Name, plain.Stdout, StringComparison.Ordinal);
        Assert.Contains("ect-p | root", root.Stdout, StringComparison.Ordinal);
        Assert.Contains("ect-p | root", rootAgain.Stdout, StringComparison.Ordinal);

        // A wrong password never reuses the context another password opened.
        Assert.Equal("PasswordIncorrect", (string?)wrong.Host("ect-p")["failure"]);
        AgentStatus status = await StatusAsync();
        Assert.Equal(4, status.Context("ect-p").Uses);
        Assert.Equal(2, status.Context("ect-p/sudo:root").Uses);
        Assert.DoesNotContain(Hosts.SudoPassword.Password, File.ReadAllText(Path.Combine(_agentDirectory, "agent.log")), StringComparison.Ordinal);
        Assert.DoesNotContain(Processes.Descendants(status.AgentPid), pid => Processes.CommandLine(pid).Contains(Hosts.SudoPassword.Password, StringComparison.Ordinal));
    }

    [Fact(Timeout = 120000)]
    public async Task Two_commands_at_once_from_two_shells_share_the_agent_and_its_context()
    {
        Assert.Equal(0, (await RunAsync(["exec", .. Ssh, "ect-k", "--", "true"])).ExitCode);
        CliResult[] both = await Task.WhenAll(
            RunAsync(["exec", .. Ssh, "ect-k,local", "--json", "--", "echo", "first"]),
            RunAsync(["exec", .. Ssh, "ect-k,local", "--json", "--", "echo", "second"]));

        Assert.All(both, r => Assert.True(r.ExitCode == 0, r.ToString()));
        Assert.Equal("first\n", (string?)both[0].Host("ect-k")["stdout"]);
        Assert.Equal("second\n", (string?)both[1].Host("ect-k")["stdout"]);
        Assert.DoesNotContain("second", both[0].Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("first", both[1].Stdout, StringComparison.Ordinal);
        AgentStatus status = await StatusAsync();
        Assert.Equal(3, status.Context("ect-k").Uses);
        Assert.Equal(2, status.Context("local").Uses);
    }

    [Fact(Timeout = 120000)]
    public async Task The_idle_time_ends_the_agent_and_every_context_it_kept()
    {
        CliResult result = await RunAsync(["exec", .. Ssh, "ect-k,local", "--persist", "3s", "--", "true"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        AgentStatus status = await StatusAsync();
        int[] contexts = [.. status.Contexts.Select(c => c.Pid)];
        Assert.Equal(2, contexts.Length);

        // The status command above counts as a command: the agent ends 3 s after it.
        Assert.True(await ProcessWatch.WaitForExitAsync(status.AgentPid, TimeSpan.FromSeconds(30)), "the agent did not end after its idle time");
        Assert.True(await Processes.WaitGoneAsync(contexts, Bound), "a context outlived its agent");
        Assert.False(File.Exists(Path.Combine(_agentDirectory, "agent.sock")));
    }

    [Fact(Timeout = 120000)]
    public async Task SIGKILL_of_the_agent_leaves_no_process_on_any_target()
    {
        string password = Write("pass", Hosts.SudoPassword.Password + "\n");
        Assert.Equal(0, (await RunAsync(["exec", .. Ssh, "ect-k,local", "--", "true"])).ExitCode);
        Assert.Equal(0, (await RunAsync(["exec", .. Ssh, "ect-p", "--become", "--become-password-file", password, "--", "true"])).ExitCode);
        AgentStatus status = await StatusAsync();
        List<int> everything = [.. Processes.Descendants(status.AgentPid), .. status.Contexts.Select(c => c.Pid)];
        Assert.Equal(4, status.Contexts.Count);

        Processes.Signal(status.AgentPid, Processes.SigKill);

        Assert.True(await Processes.WaitGoneAsync(everything, Bound), "left: " + string.Join(", ", everything.Where(Processes.IsRunning).Select(Processes.CommandLine)));

        // The next command finds the socket dead and starts a new agent.
        CliResult again = await RunAsync(["exec", .. Ssh, "ect-k", "--", "true"]);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.NotEqual(status.AgentPid, (await StatusAsync()).AgentPid);
    }

    [Fact(Timeout = 120000)]
    public async Task Ctrl_C_of_a_warm_exec_stops_the_remote_process_and_says_so_once()
    {
        Assert.Equal(0, (await RunAsync(["exec", .. Ssh, "ect-k", "--", "true"])).ExitCode);
        string marker = "econtext-agent-ctrl-c-" + Guid.NewGuid().ToString("N")[..8];
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (string word in (string[])[CliProcess.Tool, "exec", .. Ssh, "ect-k", "--shell", "--", $"echo started; sleep 60; echo {marker}"])
        {
            start.ArgumentList.Add(word);
        }

        start.Environment["ECONTEXT_AGENT_DIR"] = _agentDirectory;
        using Process client = Process.Start(start)!;
        Task<string> errors = client.StandardError.ReadToEndAsync();
        string? line;
        while ((line = await client.StandardOutput.ReadLineAsync().WaitAsync(Bound)) is not null && !line.Contains("started", StringComparison.Ordinal))
        {
        }

        Assert.NotNull(line);
        Assert.Contains(Processes.All(), pid => Processes.CommandLine(pid).Contains(marker, StringComparison.Ordinal));

        Processes.Signal(client.Id, 2);
        await client.WaitForExitAsync().WaitAsync(Bound);
        string rest = await client.StandardOutput.ReadToEndAsync().WaitAsync(Bound);
        Output.WriteLine(rest + await errors);

        // Ansible's exit code for a user interrupt ("User interrupted execution").
        Assert.Equal(99, client.ExitCode);
        Assert.DoesNotContain(marker, rest, StringComparison.Ordinal);

        // The remote shell and its sleep have ended by the time the client exits.
        Assert.DoesNotContain(Processes.All(), pid => Processes.CommandLine(pid).Contains(marker, StringComparison.Ordinal));
        Assert.True(Processes.IsRunning((await StatusAsync()).AgentPid));
    }

    [Fact(Timeout = 120000)]
    public async Task Another_user_cannot_connect_to_the_agent_and_is_refused_even_if_the_directory_is_opened()
    {
        Assert.Equal(0, (await RunAsync(["exec", "local", "--", "true"])).ExitCode);
        string socket = Path.Combine(_agentDirectory, "agent.sock");
        string connect = $"import socket; s = socket.socket(socket.AF_UNIX); s.connect('{socket}'); print('read', len(s.recv(100)))";

        // The 0700 directory keeps another user from reaching the socket at all.
        CliResult blocked = await CliProcess.RunFileAsync(Output, "runuser", ["-u", Hosts.Key.Name, "--", "python3", "-c", connect]);
        Assert.NotEqual(0, blocked.ExitCode);
        Assert.Contains("Permission denied", blocked.Stderr, StringComparison.Ordinal);

        // Opened by mistake, the agent still serves no one but its own uid (SO_PEERCRED): it closes without a word.
        File.SetUnixFileMode(_agentDirectory, (UnixFileMode)0x1ED);
        File.SetUnixFileMode(socket, (UnixFileMode)0x1B6);
        CliResult refused = await CliProcess.RunFileAsync(Output, "runuser", ["-u", Hosts.Key.Name, "--", "python3", "-c", connect]);
        File.SetUnixFileMode(_agentDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        Assert.Contains("read 0", refused.Stdout, StringComparison.Ordinal);
        Assert.Contains($"uid {Hosts.Key.Uid}: only uid 0 is served", File.ReadAllText(Path.Combine(_agentDirectory, "agent.log")), StringComparison.Ordinal);
        Assert.Equal(0, (await RunAsync(["exec", "local", "--", "true"])).ExitCode);
    }

    [Fact(Timeout = 120000)]
    public async Task A_directory_open_to_others_or_of_another_owner_is_refused_with_the_fix()
    {
        File.SetUnixFileMode(_agentDirectory, (UnixFileMode)0x1FF);
        CliResult open = await RunAsync(["exec", "local", "--", "true"]);
        Assert.Equal(1, open.ExitCode);
        Assert.Contains("has mode 0777", open.Stderr, StringComparison.Ordinal);
        Assert.Contains("chmod 700", open.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_agentDirectory, "agent.sock")));

        File.SetUnixFileMode(_agentDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal(0, (await CliProcess.RunFileAsync(Output, "chown", [Hosts.Key.Name, _agentDirectory])).ExitCode);
        CliResult foreign = await RunAsync(["exec", "local", "--", "true"]);
        Assert.Equal(1, foreign.ExitCode);
        Assert.Contains($"belongs to uid {Hosts.Key.Uid}", foreign.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await CliProcess.RunFileAsync(Output, "chown", ["root", _agentDirectory])).ExitCode);

        // Without the agent, the same command runs in the process as before.
        Assert.Equal(0, (await RunAsync(["exec", "local", "--no-agent", "--", "true"])).ExitCode);
    }

    [Fact(Timeout = 120000)]
    public async Task No_agent_and_persist_0_start_nothing_that_outlives_the_command()
    {
        CliResult noAgent = await RunAsync(["exec", .. Ssh, "ect-k", "--no-agent", "--", "true"]);
        CliResult zero = await RunAsync(["exec", .. Ssh, "ect-k", "--persist", "0", "--", "true"]);

        Assert.True(noAgent.ExitCode == 0, noAgent.ToString());
        Assert.True(zero.ExitCode == 0, zero.ToString());
        Assert.False(File.Exists(Path.Combine(_agentDirectory, "agent.sock")));
        CliResult status = await RunAsync(["agent", "status"]);
        Assert.Contains("no agent is running", status.Stdout, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task An_agent_of_another_build_is_replaced_and_the_command_runs_on_the_new_one()
    {
        // A copy of the tool, rebuilt in place by touching its assembly: the running agent is then another build's.
        string copy = Path.Combine(_agentDirectory, "tool");
        Directory.CreateDirectory(copy);
        foreach (string file in Directory.GetFiles(Path.GetDirectoryName(CliProcess.Tool)!))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        string tool = Path.Combine(copy, "Econtext.Cli.dll");
        Assert.Equal(0, (await RunWithAsync(tool, ["exec", "local", "--", "true"])).ExitCode);
        AgentStatus old = AgentStatus.Parse((await RunWithAsync(tool, ["agent", "status"])).Stdout);
        File.SetLastWriteTimeUtc(tool, DateTime.UtcNow.AddMinutes(1));

        CliResult result = await RunWithAsync(tool, ["exec", "local", "--", "echo", "rebuilt"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("local | rebuilt", result.Stdout, StringComparison.Ordinal);
        Assert.True(await ProcessWatch.WaitForExitAsync(old.AgentPid, Bound), "the old agent did not make way");
        Assert.True(await Processes.WaitGoneAsync(old.Contexts.Select(c => c.Pid), Bound), "the old agent's contexts outlived it");
        AgentStatus now = AgentStatus.Parse((await RunWithAsync(tool, ["agent", "status"])).Stdout);
        Assert.NotEqual(old.AgentPid, now.AgentPid);
        Assert.Contains("another build", File.ReadAllText(Path.Combine(_agentDirectory, "agent.log")), StringComparison.Ordinal);
        CliProcess.StopAgent(_agentDirectory, tool);
    }

    private Task<CliResult> RunWithAsync(string tool, string[] args) =>
        CliProcess.RunFileAsync(Output, "dotnet", [tool, .. args], environment: new Dictionary<string, string> { ["ECONTEXT_AGENT_DIR"] = _agentDirectory });

    private Task<CliResult> RunAsync(string[] args) =>
        CliProcess.RunFileAsync(Output, "dotnet", [CliProcess.Tool, .. args], environment: new Dictionary<string, string> { ["ECONTEXT_AGENT_DIR"] = _agentDirectory });

    private async Task<AgentStatus> StatusAsync()
    {
        CliResult result = await RunAsync(["agent", "status"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return AgentStatus.Parse(result.Stdout);
    }
}
