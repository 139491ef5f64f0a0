using Econtext.Cli.Agent.Client;

namespace Econtext.Cli.Tests;

/// <summary>The words the client reads before anything is parsed: where a command runs, and for how long the agent stays.</summary>
public sealed class AgentCommandLineTests
{
    private static readonly Func<string, string?> NoVariables = _ => null;

    [Theory]
    [InlineData(new[] { "exec", "web1", "--", "uptime" }, "Agent")]
    [InlineData(new[] { "facts" }, "Agent")]
    [InlineData(new[] { "--persist", "5m", "eval", "web1", "1" }, "Agent")]
    [InlineData(new[] { "exec", "web1", "--no-agent", "--", "uptime" }, "InProcess")]
    [InlineData(new[] { "exec", "web1", "--persist", "0", "--", "uptime" }, "InProcess")]
    [InlineData(new[] { "exec", "web1", "--persist=0", "--", "uptime" }, "InProcess")]
    [InlineData(new[] { "exec", "--help" }, "InProcess")]
    [InlineData(new[] { "--version" }, "InProcess")]
    [InlineData(new string[0], "InProcess")]
    [InlineData(new[] { "agent", "status" }, "Status")]
    [InlineData(new[] { "agent", "stop" }, "Stop")]
    [InlineData(new[] { "agent", "serve" }, "InProcess")]
    [InlineData(new[] { "agent" }, "InProcess")]
    [InlineData(new[] { "exec", "web1", "--persist", "soon", "--", "true" }, "InProcess")]
    [InlineData(new[] { "no-such-command" }, "InProcess")]
    public void Decides_where_a_command_runs(string[] args, string expected) =>
        Assert.Equal(expected, AgentCommandLine.Decide(args, NoVariables).Mode.ToString());

    [Fact]
    public void Words_after_the_double_dash_are_the_remote_commands_not_ours()
    {
        Assert.Equal(AgentMode.Agent, AgentCommandLine.Decide(["exec", "web1", "--", "tool", "--no-agent", "--persist", "0"], NoVariables).Mode);
        Assert.Null(AgentCommandLine.ExplicitPersist(["exec", "web1", "--", "x", "--persist", "1s"], NoVariables));
    }

    [Fact]
    public void The_environment_gives_the_persist_time_unless_the_command_line_does()
    {
        Func<string, string?> zero = name => name == AgentCommandLine.PersistVariable ? "0" : null;
        Assert.Equal(AgentMode.InProcess, AgentCommandLine.Decide(["exec", "web1", "--", "true"], zero).Mode);
        Assert.Equal((AgentMode.Agent, TimeSpan.FromHours(1)), AgentCommandLine.Decide(["exec", "web1", "--persist", "1h", "--", "true"], zero));
        Assert.Equal(TimeSpan.Zero, AgentCommandLine.ExplicitPersist(["exec"], zero));
        Assert.Equal(AgentCommandLine.DefaultPersist, AgentCommandLine.Decide(["exec", "web1", "--", "true"], NoVariables).Persist);
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("90", 90)]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("2h", 7200)]
    [InlineData("1d", 86400)]
    [InlineData("1.5m", 90)]
    [InlineData("10M", 600)]
    public void Reads_durations_as_people_write_them(string text, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), AgentCommandLine.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5m")]
    [InlineData("10x")]
    [InlineData("NaN")]
    [InlineData("1e300d")]
    public void Refuses_what_is_not_a_duration(string text) => Assert.Null(AgentCommandLine.ParseDuration(text));

    [Fact]
    public void Format_reads_back_as_the_same_duration() =>
        Assert.Equal(TimeSpan.FromMinutes(10), AgentCommandLine.ParseDuration(AgentCommandLine.Format(TimeSpan.FromMinutes(10))));
}
