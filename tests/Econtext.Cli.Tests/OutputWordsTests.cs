using Econtext.Cli.Commands;
using Econtext.Cli.Output;
using Econtext.Cli.Running;

namespace Econtext.Cli.Tests;

/// <summary>The words and lines the tool prints, apart from any process: failures on one line, usage errors, exec's host lines.</summary>
public sealed class OutputWordsTests
{
    [Fact]
    public void A_transports_quoted_words_stay_apart_from_the_advice()
    {
        string message = "web1: ssh exited with code 255 before the context was running. It said:\n  ssh: connect to host web1 port 22: Connection refused\nNothing accepts connections.";

        Assert.Equal(
            "web1: ssh exited with code 255 before the context was running. It said: \"ssh: connect to host web1 port 22: Connection refused\". Nothing accepts connections.",
            Failures.OneLine(message));
    }

    [Fact]
    public void Several_quoted_lines_share_one_pair_of_quotes()
    {
        Assert.Equal("It said: \"a / b\"", Failures.OneLine("It said:\n  a\n  b\n"));
    }

    [Fact]
    public void Library_settings_in_advice_become_the_tools_options()
    {
        string advice = Failures.WithCliWords("It asked for a password and none was given: set Password, or allow this user without one.");

        Assert.Equal("It asked for a password and none was given: give it with --become-password-file FILE or -K (--ask-become-pass), or allow this user without one.", advice);
    }

    [Theory]
    [InlineData("System.InvalidOperationException", "cannot run 'x'", "cannot run 'x'")]
    [InlineData("System.IO.IOException", "disk full", "disk full")]
    [InlineData("System.NullReferenceException", "oops", "NullReferenceException: oops")]
    [InlineData(null, "plain", "plain")]
    public void Exception_type_names_appear_only_when_they_say_something(string? type, string message, string expected)
    {
        Assert.Equal(expected, Failures.Readable(type, message));
    }

    [Theory]
    [InlineData("Cannot parse argument 'x' for option '--forks' as expected type 'System.Int32'.", "--forks takes a whole number, not 'x'.")]
    [InlineData("Cannot parse argument 'soon' for option '--timeout' as expected type 'System.Nullable`1[System.Double]'.", "--timeout takes a number, not 'soon'.")]
    [InlineData("Unrecognized command or argument 'b'.", "Unrecognized command or argument 'b'.")]
    public void Conversion_errors_name_what_the_option_takes(string message, string expected)
    {
        Assert.Equal(expected, UsageErrors.Readable(message));
    }

    [Fact]
    public void A_block_of_lines_gets_the_host_on_every_line_and_stderr_goes_to_stderr()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var lines = new HostLines(stdout, stderr, "web1", 6, colour: false, errorColour: false);

        lines.Write("a\n\nc", isError: false);
        lines.Write("oops", isError: true);

        Assert.Equal("web1   | a\nweb1   | \nweb1   | c\n", stdout.ToString());
        Assert.Equal("web1   ! oops\n", stderr.ToString());
    }

    [Theory]
    [InlineData("mem*", "memoryTotalBytes", true)]
    [InlineData("mem*", "hostname", false)]
    [InlineData("INTERFACES", "interfaces", true)]
    [InlineData("host*, dist?ibution", "distribution", true)]
    [InlineData("host*, dist?ibution", "distributionFamily", false)]
    public void A_facts_filter_is_a_glob_on_the_json_names(string filter, string name, bool matches)
    {
        Assert.Equal(matches, FactsFilter.Parse(filter)!.Matches(name));
    }

    [Theory]
    [InlineData(new[] { "exec", "web1", "--stdin", "-", "--", "cat" }, "InProcess")]
    [InlineData(new[] { "exec", "web1", "--stdin=-", "--", "cat" }, "InProcess")]
    [InlineData(new[] { "exec", "web1", "--stdin", "in.txt", "--", "cat" }, "Agent")]
    [InlineData(new[] { "exec", "web1", "--", "tool", "--stdin", "-" }, "Agent")]
    public void Stdin_dash_runs_in_the_clients_process_where_the_input_is(string[] args, string expected) =>
        Assert.Equal(expected, Econtext.Cli.Agent.Client.AgentCommandLine.Decide(args, _ => null).Mode.ToString());

    [Fact]
    public void Colour_on_stdout_leaves_a_redirected_stderr_plain()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var lines = new HostLines(stdout, stderr, "web1", 4, colour: true, errorColour: false);

        lines.Write("a", isError: false);
        lines.Write("b", isError: true);

        Assert.Equal("\e[36mweb1\e[0m | a\n", stdout.ToString());
        Assert.Equal("web1 ! b\n", stderr.ToString());
    }
}
