using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Econtext.TransportTests.Cli;

/// <summary>
/// The econtext tool run as a process against the private sshd: host aliases from the fixture's
/// ssh_config (-F), inventories, an unreachable host among reachable ones, become, --via, eval, run,
/// copy and fetch, with --json parsed and checked.
/// </summary>
public sealed class CliTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    private string[] Ssh => ["-F", Hosts.SshConfig];

    [Fact(Timeout = 120000)]
    public async Task Exec_streams_every_hosts_output_prefixed_with_its_name()
    {
        CliResult result = await CliProcess.RunAsync(Output, ["exec", .. Ssh, "ect-k,ect-n,local", "--", "id", "-un"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.Stdout.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("ect-k", StringComparison.Ordinal) && l.EndsWith("| " + Hosts.Key.Name, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("ect-n", StringComparison.Ordinal) && l.EndsWith("| " + Hosts.NotSudoer.Name, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("local", StringComparison.Ordinal) && l.EndsWith("| root", StringComparison.Ordinal));
        Assert.Contains("3 ok, 0 failed, 0 unreachable, 3 hosts", result.Stdout, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task A_non_zero_exit_fails_that_host_only_and_json_carries_both_streams()
    {
        CliResult result = await CliProcess.RunAsync(
            Output,
            ["exec", .. Ssh, "ect-k,local", "--json", "--shell", "--", "echo out; echo err >&2; test \"$(id -un)\" = root"]);

        Assert.Equal(2, result.ExitCode);
        JsonObject k = result.Host("ect-k");
        Assert.Equal("failed", (string?)k["status"]);
        Assert.Equal(1, (int?)k["exitCode"]);
        Assert.Equal("out\n", (string?)k["stdout"]);
        Assert.Equal("err\n", (string?)k["stderr"]);
        JsonObject local = result.Host("local");
        Assert.Equal("ok", (string?)local["status"]);
        Assert.Equal(0, (int?)local["exitCode"]);
        Assert.Contains("1 ok, 1 failed, 0 unreachable", result.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task An_unreachable_host_is_classified_and_the_others_still_run()
    {
        int closed = ClosedPort();
        CliResult result = await CliProcess.RunAsync(
            Output,
            ["exec", .. Ssh, $"ect-k,{Hosts.Key.Name}@127.0.0.1:{closed}", "--json", "--", "true"]);

        Assert.Equal(4, result.ExitCode);
        Assert.Equal("ok", (string?)result.Host("ect-k")["status"]);
        JsonObject down = result.Host($"{Hosts.Key.Name}@127.0.0.1:{closed}");
        Assert.Equal("unreachable", (string?)down["status"]);
        Assert.Equal("ConnectionRefused", (string?)down["failure"]);
        Assert.Contains("Connection refused", (string?)down["error"], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task An_ini_inventory_with_groups_children_vars_and_a_pattern()
    {
        string inventory = Write("hosts.ini", $"""
            # hosts of the test sshd under three names
            [web]
            web1 ansible_user={Hosts.Key.Name}
            web2 ansible_user={Hosts.NotSudoer.Name}

            [db]
            db1 ansible_user={Hosts.SudoPassword.Name}

            [prod:children]
            web
            db

            [all:vars]
            ansible_host=127.0.0.1
            ansible_port={Hosts.Port}
            ansible_ssh_common_args='-F {Hosts.SshConfig}'
            ansible_ssh_private_key_file={Hosts.ClientKey}
            """);

        CliResult result = await CliProcess.RunAsync(Output, ["facts", "-i", inventory, "prod:!db", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["web1", "web2"], result.JsonLines.Select(o => (string)o["host"]!).Order());
        Assert.Equal(Hosts.Key.Name, (string?)result.Host("web1")["userName"]);
        Assert.Equal(Hosts.NotSudoer.Name, (string?)result.Host("web2")["userName"]);
        Assert.True((double)result.Host("web1")["rttMedianUs"]! > 0);
    }

    [Fact(Timeout = 120000)]
    public async Task A_yaml_inventory_with_become_by_sudo_and_by_doas()
    {
        string inventory = Write("hosts.yml", $"""
            all:
              vars:
                ansible_host: 127.0.0.1
                ansible_port: {Hosts.Port}
                ansible_user: {Hosts.Key.Name}
                ansible_ssh_common_args: -F {Hosts.SshConfig}
                ansible_ssh_private_key_file: {Hosts.ClientKey}
              children:
                admins:
                  vars:
                    ansible_become: yes
                  hosts:
                    by-sudo:
                    by-doas:
                      ansible_become_method: doas
                plain:
                  hosts:
                    as-login:
            """);

        CliResult result = await CliProcess.RunAsync(Output, ["exec", "-i", inventory, "--json", "--", "id", "-u"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("0\n", (string?)result.Host("by-sudo")["stdout"]);
        Assert.Equal("0\n", (string?)result.Host("by-doas")["stdout"]);
        Assert.Equal(Hosts.Key.Uid.ToString(CultureInfo.InvariantCulture) + "\n", (string?)result.Host("as-login")["stdout"]);
    }

    [Fact(Timeout = 120000)]
    public async Task Become_on_the_command_line_with_and_without_a_password()
    {
        string passwordFile = Write("become-pass", Hosts.SudoPassword.Password + "\n");

        CliResult result = await CliProcess.RunAsync(
            Output,
            ["exec", .. Ssh, "ect-k,ect-p", "--become", "--become-password-file", passwordFile, "--json", "--", "id", "-un"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("root\n", (string?)result.Host("ect-k")["stdout"]);
        Assert.Equal("root\n", (string?)result.Host("ect-p")["stdout"]);
        Assert.DoesNotContain(Hosts.SudoPassword.Password, result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task Ask_become_pass_reads_the_password_on_a_terminal_without_echoing_it()
    {
        CliResult result = await CliProcess.RunOnTerminalAsync(
            Output,
            Hosts.SudoPassword.Password + "\r",
            ["exec", .. Ssh, "ect-p", "--become", "-K", "--", "id", "-un"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("BECOME password:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("ect-p | root", result.Stdout, StringComparison.Ordinal);

        // What was typed may show once, typed ahead before the prompt turned echo off; never after it.
        string afterPrompt = result.Stdout[(result.Stdout.IndexOf("BECOME password:", StringComparison.Ordinal) + 16)..];
        Assert.DoesNotContain(Hosts.SudoPassword.Password, afterPrompt, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task A_wrong_become_password_is_that_hosts_classified_failure()
    {
        string passwordFile = Write("wrong-pass", "not-the-password\n");

        CliResult result = await CliProcess.RunAsync(
            Output,
            ["exec", .. Ssh, "ect-p", "--become", "--become-password-file", passwordFile, "--json", "--", "true"]);

        // As Ansible's "Incorrect sudo password": the host was reached, the task failed (exit 2, not 4).
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("failed", (string?)result.Host("ect-p")["status"]);
        Assert.Equal("PasswordIncorrect", (string?)result.Host("ect-p")["failure"]);
    }

    [Fact(Timeout = 120000)]
    public async Task Via_runs_ssh_from_a_context_on_the_jump_host()
    {
        string target = $"{Hosts.NotSudoer.Name}@127.0.0.1:{Hosts.Port}";
        CliResult result = await CliProcess.RunAsync(
            Output,
            ["exec", .. Ssh, "--via", "ect-k", target, "--json", "--", "sh", "-c", "id -un; echo $SSH_CLIENT"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string stdout = (string)result.Host(target)["stdout"]!;
        Assert.StartsWith(Hosts.NotSudoer.Name + "\n", stdout, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task Eval_prints_each_hosts_value_as_json()
    {
        CliResult result = await CliProcess.RunAsync(
            Output,
            ["eval", .. Ssh, "ect-k,local", "--json", "new { user = Environment.UserName, sum = Enumerable.Range(1, 10).Sum() }"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonObject k = result.Host("ect-k")["value"]!.AsObject();
        Assert.Equal(Hosts.Key.Name, (string?)k["user"]);
        Assert.Equal(55, (int?)k["sum"]);
        Assert.Equal("root", (string?)result.Host("local")["value"]!["user"]);
    }

    [Fact(Timeout = 120000)]
    public async Task Run_compiles_a_script_file_once_and_runs_it_everywhere()
    {
        string script = Write("check.csx", """
            using System.Globalization;

            static string Describe(int n) => n.ToString("N0", CultureInfo.InvariantCulture) + " files";

            int count = Directory.GetFiles("/etc").Length;
            return new { context = CurrentContext.Name, files = Describe(count), positive = count > 0 };
            """);

        CliResult result = await CliProcess.RunAsync(Output, ["run", .. Ssh, "ect-k,ect-n", script, "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (string host in (string[])["ect-k", "ect-n"])
        {
            JsonObject value = result.Host(host)["value"]!.AsObject();
            Assert.Equal(host, (string?)value["context"]);
            Assert.EndsWith(" files", (string?)value["files"], StringComparison.Ordinal);
            Assert.True((bool?)value["positive"]);
        }
    }

    [Fact(Timeout = 120000)]
    public async Task A_compile_error_shows_line_and_column_before_anything_connects()
    {
        int closed = ClosedPort();
        CliResult result = await CliProcess.RunAsync(
            Output,
            ["eval", $"nobody@127.0.0.1:{closed}", "var x = 1;\nreturn y + x;"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("(2,8): error CS0103", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("unreachable", result.Stdout + result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("refused", result.Stdout + result.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact(Timeout = 120000)]
    public async Task Copy_then_fetch_a_file_and_a_directory()
    {
        string local = Path.Combine(Hosts.Dir, "cli-copy-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(local, "tree", "sub"));
        File.WriteAllText(Path.Combine(local, "tree", "a.txt"), "alpha\n");
        File.WriteAllText(Path.Combine(local, "tree", "sub", "b.txt"), "beta\n");
        byte[] payload = new byte[3 * 1024 * 1024 + 17];
        Random.Shared.NextBytes(payload);
        File.WriteAllBytes(Path.Combine(local, "blob.bin"), payload);
        string remote = $"/tmp/econtext-cli-{Hosts.RunId}-{Guid.NewGuid():N}";

        CliResult push = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", Path.Combine(local, "blob.bin"), remote + "/", "--json"]);
        Assert.True(push.ExitCode == 0, push.ToString());
        Assert.Equal(remote + "/blob.bin", (string?)push.Host("ect-k")["destination"]);
        Assert.True((bool?)push.Host("ect-k")["changed"]);

        CliResult again = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", Path.Combine(local, "blob.bin"), remote + "/", "--json"]);
        Assert.False((bool?)again.Host("ect-k")["changed"]);

        CliResult tree = await CliProcess.RunAsync(Output, ["copy", .. Ssh, "ect-k", Path.Combine(local, "tree"), remote, "--json"]);
        Assert.True(tree.ExitCode == 0, tree.ToString());
        Assert.Equal(2, (int?)tree.Host("ect-k")["filesCopied"]);

        // Contexts run under the login's umask (022 here), so n may read what k copied, as with Ansible.
        string back = Path.Combine(local, "back");
        CliResult fetch = await CliProcess.RunAsync(Output, ["fetch", .. Ssh, "ect-k,ect-n", remote + "/blob.bin", back, "--json"]);
        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(back, "ect-k", "blob.bin")));
        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(back, "ect-n", "blob.bin")));

        CliResult fetchTree = await CliProcess.RunAsync(Output, ["fetch", .. Ssh, "ect-k", remote + "/tree", back]);
        Assert.True(fetchTree.ExitCode == 0, fetchTree.ToString());
        Assert.Equal("beta\n", File.ReadAllText(Path.Combine(back, "ect-k", "tree", "sub", "b.txt")));

        CliResult missing = await CliProcess.RunAsync(Output, ["fetch", .. Ssh, "ect-k", remote + "/nope", back, "--json"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", (string?)missing.Host("ect-k")["error"], StringComparison.Ordinal);

        await CliProcess.RunAsync(Output, ["exec", .. Ssh, "ect-k", "--", "rm", "-rf", remote]);
        Directory.Delete(local, recursive: true);
    }

    [Fact(Timeout = 60000)]
    public async Task A_bad_command_line_gets_a_usage_error_with_an_example()
    {
        CliResult noCommand = await CliProcess.RunAsync(Output, ["exec", "web1"]);
        Assert.Equal(1, noCommand.ExitCode);
        Assert.Contains("econtext exec [TARGETS] -- COMMAND", noCommand.Stderr, StringComparison.Ordinal);

        CliResult badTarget = await CliProcess.RunAsync(Output, ["exec", "web1:99999", "--", "true"]);
        Assert.Equal(1, badTarget.ExitCode);
        Assert.Contains("99999", badTarget.Stderr, StringComparison.Ordinal);

        CliResult help = await CliProcess.RunAsync(Output, ["exec", "--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Examples:", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--become", help.Stdout, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120000)]
    public async Task A_host_past_its_timeout_fails_and_leaves_no_process_behind()
    {
        string marker = "econtext-cli-timeout-" + Guid.NewGuid().ToString("N")[..8];
        CliResult result = await CliProcess.RunAsync(
            Output,
            ["exec", .. Ssh, "ect-k,local", "--host-timeout", "3", "--json", "--shell", "--", $"sleep 60; echo {marker}"]);

        Assert.Equal(2, result.ExitCode);
        foreach (string host in (string[])["ect-k", "local"])
        {
            Assert.Equal("failed", (string?)result.Host(host)["status"]);
            Assert.Contains("timed out after 3 s", (string?)result.Host(host)["error"], StringComparison.Ordinal);
        }

        // The shell and its sleep on both hosts (one machine here) went with the contexts.
        Assert.DoesNotContain(Processes.All(), pid => CommandLine(pid).Contains(marker, StringComparison.Ordinal));
    }

    [Fact(Timeout = 60000)]
    public async Task List_hosts_shows_what_an_inventory_pattern_and_limit_select_without_connecting()
    {
        string inventory = Write("hosts.ini", """
            [web]
            web[01:04].example.invalid ansible_user=deploy

            [db]
            db1.example.invalid ansible_become=yes ansible_become_method=doas
            """);

        CliResult result = await CliProcess.RunAsync(Output, ["exec", "-i", inventory, "all", "-l", "web0[1-2]*:db*", "--list-hosts", "--", "true"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(
            ["hosts (3):", "  web01.example.invalid (ssh deploy@web01.example.invalid)", "  web02.example.invalid (ssh deploy@web02.example.invalid)", "  db1.example.invalid (ssh db1.example.invalid) as root by doas"],
            result.Stdout.TrimEnd('\n').Split('\n'));
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    /// <summary>A loopback port nothing listens on: bound, then released.</summary>
    internal static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
