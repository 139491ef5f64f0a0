using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Econtext.TransportTests.Cli;

/// <summary>
/// The connect timeout as Ansible users expect it: without -T the ssh configuration's ConnectTimeout
/// applies (no -o ConnectTimeout overrides it), -T/--timeout sets it, and the hint names -T.
/// A server that accepts and never answers stands for a dead host.
/// </summary>
public sealed class ConnectTimeoutTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 120000)]
    public async Task Without_T_the_ssh_configs_ConnectTimeout_applies()
    {
        using var silent = new SilentServer();
        string config = Write("ssh_config", Config(silent.Port, connectTimeout: 2));

        var clock = Stopwatch.StartNew();
        CliResult result = await CliProcess.RunAsync(Output, ["exec", "--no-agent", "-F", config, "dead", "--json", "--", "true"]);
        clock.Stop();

        Assert.Equal(4, result.ExitCode);
        JsonObject host = result.Host("dead");
        Assert.Equal("ConnectTimeout", (string?)host["failure"]);
        Assert.Contains("-T", (string?)host["error"], StringComparison.Ordinal);

        // The old default (-o ConnectTimeout=30 over the file's 2) took 30 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed.TotalSeconds:0.0} s with ConnectTimeout 2 in the ssh config");
    }

    [Fact(Timeout = 120000)]
    public async Task T_sets_ssh_ConnectTimeout_over_the_configs()
    {
        using var silent = new SilentServer();
        string config = Write("ssh_config", Config(silent.Port, connectTimeout: 60));

        var clock = Stopwatch.StartNew();
        CliResult result = await CliProcess.RunAsync(Output, ["exec", "--no-agent", "-F", config, "dead", "-T", "2", "--json", "--", "true"]);
        clock.Stop();

        Assert.Equal(4, result.ExitCode);
        Assert.Equal("ConnectTimeout", (string?)result.Host("dead")["failure"]);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed.TotalSeconds:0.0} s with -T 2 (the config says 60)");
    }

    [Fact(Timeout = 120000)]
    public async Task Vvv_shows_the_ssh_command_line_with_ConnectTimeout_only_when_T_is_given()
    {
        CliResult plain = await CliProcess.RunAsync(Output, ["exec", "-F", Hosts.SshConfig, "ect-k", "--control-persist", "0", "--no-agent", "-vvv", "--", "true"]);
        CliResult given = await CliProcess.RunAsync(Output, ["exec", "-F", Hosts.SshConfig, "ect-k", "--control-persist", "0", "--no-agent", "-v", "-T", "5", "--", "true"]);

        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.True(given.ExitCode == 0, given.ToString());
        string plainLine = Assert.Single(plain.Stderr.Split('\n'), l => l.StartsWith("<ect-k> SSH: EXEC ssh ", StringComparison.Ordinal));
        Assert.Contains($"-F {Hosts.SshConfig}", plainLine, StringComparison.Ordinal);
        Assert.DoesNotContain("ConnectTimeout", plainLine, StringComparison.Ordinal);
        string givenLine = Assert.Single(given.Stderr.Split('\n'), l => l.StartsWith("<ect-k> SSH: EXEC ssh ", StringComparison.Ordinal));
        Assert.Contains("-o ConnectTimeout=5", givenLine, StringComparison.Ordinal);
    }

    private string Config(int port, int connectTimeout) => $"""
        Host dead
            HostName 127.0.0.1
            Port {port}
            User {Hosts.Key.Name}
            ConnectTimeout {connectTimeout}
            UserKnownHostsFile {Hosts.KnownHosts}
            GlobalKnownHostsFile /dev/null
            IdentitiesOnly yes
            IdentityAgent none

        """;
}
