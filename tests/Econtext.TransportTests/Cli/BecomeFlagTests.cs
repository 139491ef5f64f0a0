using System.Text.Json.Nodes;

namespace Econtext.TransportTests.Cli;

/// <summary>
/// Become, exit codes and the ssh password as an Ansible user types them (issue 21): -b is a flag and the
/// word after it the pattern, --become-user names the user, a user without a home still runs the command,
/// a refused become is FAILED (2), unreachable wins the exit code (4), -k asks the ssh password.
/// </summary>
public sealed class BecomeFlagTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    private string[] Ssh => ["-F", Hosts.SshConfig];

    [Fact(Timeout = 120000)]
    public async Task Dash_b_takes_no_value_so_the_next_word_is_the_pattern_and_the_user_is_root()
    {
        string inventory = Write("inv.ini", "[db]\nect-k\n");

        // econtext exec -i inv.ini -b db -- id -un: ran as a user named "db" on every host before.
        CliResult result = await CliProcess.RunAsync(Output, ["exec", .. Ssh, "-i", inventory, "-b", "db", "--json", "--", "id", "-un"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("root\n", (string?)result.Host("ect-k")["stdout"]);
    }

    [Fact(Timeout = 120000)]
    public async Task The_readmes_run_example_with_become_before_the_script_runs_the_script_as_root()
    {
        string inventory = Write("hosts.ini", "[db]\nect-k\n");
        string script = Write("audit.csx", "return Environment.UserName;\n");

        // README: econtext run -i hosts.ini db --become audit.csx --json
        CliResult result = await CliProcess.RunAsync(Output, ["run", .. Ssh, "-i", inventory, "db", "--become", script, "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("root", (string?)result.Host("ect-k")["value"]);
    }

    [Fact(Timeout = 120000)]
    public async Task Become_user_names_the_user_become_runs_as()
    {
        CliResult result = await CliProcess.RunAsync(Output, ["exec", .. Ssh, "ect-k", "-b", "--become-user", Hosts.NotSudoer.Name, "--json", "--", "id", "-un"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(Hosts.NotSudoer.Name + "\n", (string?)result.Host("ect-k")["stdout"]);
    }

    [Theory(Timeout = 120000)]
    [InlineData("local")]
    [InlineData("ect-k")]
    public async Task A_become_user_whose_home_does_not_exist_still_runs_the_command(string target)
    {
        // nobody's home is /nonexistent; Ansible runs the command anyway, from a directory that exists.
        Assert.False(Directory.Exists("/nonexistent"));
        CliResult result = await CliProcess.RunAsync(Output, ["exec", .. Ssh, target, "-b", "--become-user", "nobody", "--json", "--shell", "--", "id -un; pwd"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = ((string)result.Host(target)["stdout"]!).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("nobody", lines[0]);
        Assert.True(Directory.Exists(lines[1]), $"ran in {lines[1]}");
    }

    [Fact(Timeout = 120000)]
    public async Task A_missing_become_password_is_a_failed_host_exit_2_as_Ansibles_missing_sudo_password()
    {
        CliResult result = await CliProcess.RunAsync(Output, ["exec", .. Ssh, "ect-p", "-b", "--json", "--", "true"]);

        Assert.Equal(2, result.ExitCode);
        JsonObject host = result.Host("ect-p");
        Assert.Equal("failed", (string?)host["status"]);
        Assert.Equal("PasswordRequired", (string?)host["failure"]);
    }

    [Fact(Timeout = 120000)]
    public async Task Failed_and_unreachable_hosts_together_exit_4_as_Ansible()
    {
        int closed = ClosedPort();
        string down = $"{Hosts.Key.Name}@127.0.0.1:{closed}";

        CliResult result = await CliProcess.RunAsync(Output, ["exec", .. Ssh, $"ect-k,{down}", "--json", "--", "false"]);

        Assert.Equal(4, result.ExitCode);
        Assert.Equal("failed", (string?)result.Host("ect-k")["status"]);
        Assert.Equal("unreachable", (string?)result.Host(down)["status"]);
    }

    [Fact(Timeout = 120000)]
    public async Task Ask_pass_reads_the_ssh_password_on_the_terminal()
    {
        // ect-w logs in by password only: without -k it is refused (BatchMode), with it the typed password logs in.
        CliResult result = await CliProcess.RunOnTerminalAsync(Output, Hosts.PasswordOnly.Password + "\r", ["exec", .. Ssh, "ect-w", "-k", "--", "id", "-un"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("SSH password:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("ect-w | " + Hosts.PasswordOnly.Name, result.Stdout, StringComparison.Ordinal);
        string afterPrompt = result.Stdout[(result.Stdout.IndexOf("SSH password:", StringComparison.Ordinal) + 13)..];
        Assert.DoesNotContain(Hosts.PasswordOnly.Password, afterPrompt, StringComparison.Ordinal);
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
