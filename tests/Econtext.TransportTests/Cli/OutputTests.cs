using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Econtext.TransportTests.Cli;

/// <summary>
/// What exec and facts write, as a person types them with output in a pipe (issue 21): long lines and tables
/// unwrapped, many lines complete and in order with their host on each, the program's stderr on ours, bytes
/// taken as UTF-8, and messages in the tool's words. Each runs through the agent and with --no-agent.
/// </summary>
public sealed class OutputTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    private string[] Ssh => ["-F", Hosts.SshConfig];

    private Task<CliResult> RunAsync(bool agent, params string[] args) =>
        CliProcess.RunAsync(Output, agent ? args : [args[0], "--no-agent", .. args[1..]]);

    /// <summary>With COLUMNS=80 in the environment, which a pipe must not be wrapped at either.</summary>
    private Task<CliResult> RunAt80Async(bool agent, params string[] args) =>
        CliProcess.RunFileAsync(Output, "dotnet", [CliProcess.Tool, .. agent ? args : [args[0], "--no-agent", .. args[1..]]], environment: new Dictionary<string, string> { ["COLUMNS"] = "80" });

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_long_line_reaches_a_pipe_whole_with_its_host_prefix(bool agent)
    {
        CliResult result = await RunAt80Async(agent, ["exec", .. Ssh, "ect-k", "--", "seq", "-s", " ", "1", "400"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string expected = "ect-k | " + string.Join(' ', Enumerable.Range(1, 400));
        Assert.Contains(expected, result.Stdout.Split('\n'));
    }

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_facts_table_of_several_hosts_is_not_squeezed_into_80_columns(bool agent)
    {
        CliResult result = await RunAt80Async(agent, ["facts", .. Ssh, "ect-k,local"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] table = [.. result.Stdout.Split('\n').Where(l => l.Length > 0 && l[0] is '╭' or '│' or '├' or '╰')];

        // Header, two rows and the borders, each row on one line: no cell wrapped.
        Assert.Equal(6, table.Length);
        Assert.All(table, l => Assert.Equal(table[0].Length, l.Length));
        Assert.True(table[0].Length > 80, result.ToString());
        Assert.Single(table, l => l.StartsWith("│ ect-k ", StringComparison.Ordinal) && l.Contains(" µs ", StringComparison.Ordinal));
    }

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Many_lines_of_two_hosts_arrive_complete_in_order_and_each_with_its_host(bool agent)
    {
        const int Count = 100_000;
        CliResult result = await RunAsync(agent, ["exec", .. Ssh, "ect-k,local", "--", "seq", "1", Count.ToString(CultureInfo.InvariantCulture)]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.Stdout.Split('\n');
        foreach (string host in (string[])["ect-k", "local"])
        {
            string prefix = host + " | ";
            int[] numbers = [.. lines.Where(l => l.StartsWith(prefix, StringComparison.Ordinal) && !l.Contains(" | OK | ", StringComparison.Ordinal))
                .Select(l => int.Parse(l.AsSpan(prefix.Length), CultureInfo.InvariantCulture))];
            Assert.Equal(Enumerable.Range(1, Count), numbers);
        }

        // Apart from the two end-of-host lines, the tally and the final newline: only whole lines of the two hosts.
        Assert.Equal(2 * Count + 4, lines.Length);
    }

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_line_longer_than_a_block_is_not_cut(bool agent)
    {
        CliResult result = await RunAsync(agent, ["exec", .. Ssh, "ect-k", "--shell", "--", "head -c 100000 /dev/zero | tr '\\0' a; echo; echo next"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.Stdout.Split('\n');
        Assert.Contains("ect-k | " + new string('a', 100_000), lines);
        Assert.Contains("ect-k | next", lines);
    }

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_programs_stderr_goes_to_stderr_and_its_stdout_to_stdout(bool agent)
    {
        CliResult result = await RunAsync(agent, ["exec", .. Ssh, "ect-k", "--", "sh", "-c", "echo out; echo err >&2"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("ect-k | out", result.Stdout.Split('\n'));
        Assert.DoesNotContain("err", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("ect-k ! err", result.Stderr.Split('\n'));
    }

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Output_starting_with_FF_FE_is_taken_as_UTF8_not_UTF16(bool agent)
    {
        CliResult result = await RunAsync(agent, ["exec", .. Ssh, "ect-k", "--", "printf", "\\377\\376hi\\n"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("ect-k | \uFFFD\uFFFDhi", result.Stdout.Split('\n'));
    }

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_command_line_given_as_one_word_suggests_shell_in_plain_words(bool agent)
    {
        CliResult result = await RunAsync(agent, ["exec", .. Ssh, "ect-k", "--", "echo hello world"]);

        Assert.Equal(2, result.ExitCode);
        string all = result.Stdout + result.Stderr;
        Assert.Contains("cannot run 'echo hello world': No such file or directory", all, StringComparison.Ordinal);
        Assert.Contains("--shell", all, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", all, StringComparison.Ordinal);
        Assert.DoesNotContain("An error occurred trying to start process", all, StringComparison.Ordinal);
    }

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task List_hosts_needs_no_command(bool agent)
    {
        CliResult result = await RunAsync(agent, ["exec", .. Ssh, "--list-hosts", "ect-k,local"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("ect-k", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("local", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stderr);
    }

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_usage_error_says_what_is_wrong_and_where_help_is_without_printing_the_help(bool agent)
    {
        CliResult extra = await RunAsync(agent, ["facts", "web1", "web2"]);
        CliResult notNumber = await RunAsync(agent, ["exec", "--forks", "x", "local", "--", "true"]);

        Assert.Equal(1, extra.ExitCode);
        Assert.Contains("econtext: error: Unrecognized command or argument 'web2'.", extra.Stderr, StringComparison.Ordinal);
        Assert.Contains("Run 'econtext facts --help'", extra.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Options:", extra.Stdout + extra.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, notNumber.ExitCode);
        Assert.Contains("--forks takes a whole number, not 'x'.", notNumber.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", notNumber.Stdout + notNumber.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", notNumber.Stdout + notNumber.Stderr, StringComparison.Ordinal);
    }

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_facts_line_names_the_runtime_once(bool agent)
    {
        CliResult result = await RunAsync(agent, ["facts", .. Ssh, "ect-k,local"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("ect-k | OK |", result.Stdout, StringComparison.Ordinal);
        Assert.Contains(", .NET 1", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(".NET .NET", result.Stdout, StringComparison.Ordinal);
    }

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Ssh_words_are_quoted_apart_from_the_hint(bool agent)
    {
        int closed = CliTests.ClosedPort();
        CliResult result = await RunAsync(agent, ["exec", .. Ssh, $"{Hosts.Key.Name}@127.0.0.1:{closed}", "--", "true"]);

        Assert.Equal(4, result.ExitCode);
        Assert.Contains($"It said: \"ssh: connect to host 127.0.0.1 port {closed}: Connection refused\". Nothing accepts", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_missing_become_password_names_the_options_that_give_one(bool agent)
    {
        CliResult result = await RunAsync(agent, ["exec", .. Ssh, "ect-p", "--become", "--", "true"]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--become-password-file FILE or -K", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("set Password", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Theory(Timeout = 120000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stdin_from_a_file_reaches_the_program_on_every_host(bool agent)
    {
        string file = Path.Combine(Path.GetTempPath(), $"econtext-stdin-{Environment.ProcessId}-{agent}.txt");
        await File.WriteAllTextAsync(file, "first\nsecond\n");
        try
        {
            CliResult result = await RunAsync(agent, ["exec", .. Ssh, "ect-k,local", "--stdin", file, "--", "cat"]);

            Assert.True(result.ExitCode == 0, result.ToString());
            string[] lines = result.Stdout.Split('\n');
            foreach (string host in (string[])["ect-k", "local"])
            {
                Assert.Equal([$"{host} | first", $"{host} | second"], lines.Where(l => l.StartsWith(host + " | ", StringComparison.Ordinal) && !l.Contains(" | OK | ", StringComparison.Ordinal)));
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact(Timeout = 120000)]
    public async Task Stdin_dash_forwards_what_is_piped_into_the_tool()
    {
        CliResult result = await CliProcess.RunFileAsync(Output, "dotnet", [CliProcess.Tool, "exec", .. Ssh, "ect-k", "--stdin", "-", "--", "wc", "-l"], stdin: "a\nb\nc\n");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("ect-k | 3", result.Stdout.Split('\n'));
    }

    [Fact(Timeout = 120000)]
    public async Task Facts_tell_distribution_network_mounts_uptime_and_date()
    {
        CliResult result = await CliProcess.RunAsync(Output, ["facts", .. Ssh, "ect-k", "--json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        System.Text.Json.Nodes.JsonObject facts = result.Host("ect-k");
        string[] osRelease = await File.ReadAllLinesAsync("/etc/os-release");
        string versionId = osRelease.Single(l => l.StartsWith("VERSION_ID=", StringComparison.Ordinal))["VERSION_ID=".Length..].Trim('"');
        Assert.Equal(versionId, (string?)facts["distributionVersion"]);
        Assert.Equal("Debian", (string?)facts["distributionFamily"]);
        Assert.Contains(facts["interfaces"]!.AsArray(), n => (string?)n!["name"] == "lo" && n["addresses"]!.AsArray().Any(a => (string?)a == "127.0.0.1/8"));
        Assert.Contains(facts["mounts"]!.AsArray(), m => (string?)m!["mountPoint"] == "/" && (long?)m["sizeBytes"] > 0);
        Assert.True((double?)facts["uptimeSeconds"] > 0, result.ToString());
        Assert.True(DateTimeOffset.TryParse((string?)facts["date"], CultureInfo.InvariantCulture, out _), result.ToString());
        Assert.False(string.IsNullOrEmpty((string?)facts["fqdn"]));
        Assert.False(string.IsNullOrEmpty((string?)facts["virtualization"]));
    }

    [Fact(Timeout = 120000)]
    public async Task Facts_filter_keeps_the_facts_whose_names_match()
    {
        CliResult json = await CliProcess.RunAsync(Output, ["facts", .. Ssh, "ect-k", "--json", "--filter", "distribution*,MOUNTS"]);
        CliResult text = await CliProcess.RunAsync(Output, ["facts", .. Ssh, "ect-k,local", "--filter", "mounts"]);

        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(
            ["distribution", "distributionFamily", "distributionVersion", "elapsedMs", "host", "mounts", "status"],
            json.Host("ect-k").Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Equal(2, text.Stdout.Split('\n').Count(l => l.StartsWith("│ Mount / ", StringComparison.Ordinal)));
        Assert.DoesNotContain("Hostname", text.Stdout, StringComparison.Ordinal);
    }
}
