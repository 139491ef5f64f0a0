using System.CommandLine;
using Econtext.Cli.Commands;
using Econtext.Cli.Running;
using Econtext.Cli.Targets;

namespace Econtext.Cli.Tests;

/// <summary>
/// The host options read as Ansible's ad-hoc command reads them (ansible-core 2.14 is the reference):
/// -b is a flag, --become-user names the user, -T is the connect timeout, and the exit code puts
/// unreachable before failed.
/// </summary>
public sealed class AnsibleFlagsTests
{
    [Fact]
    public void Become_is_a_flag_so_the_word_after_it_is_the_pattern()
    {
        (RunSettings settings, string? targets) = Read("-b", "postgres", "--", "id", "-un");

        Assert.Equal("postgres", targets);
        Assert.Equal("postgres", Assert.Single(settings.Hosts).Name);
        Assert.True(settings.Become.Enabled);
        Assert.Equal(("sudo", "root"), Become(settings, settings.Hosts[0]));
    }

    [Fact]
    public void Become_user_names_the_user_and_does_not_turn_become_on_by_itself()
    {
        (RunSettings on, _) = Read("db", "--become", "--become-user", "postgres", "--", "id");
        Assert.True(on.Become.Enabled);
        Assert.Equal(("sudo", "postgres"), Become(on, on.Hosts[0]));

        (RunSettings off, _) = Read("db", "--become-user", "postgres", "--", "id");
        Assert.False(off.Become.Enabled);
    }

    [Fact]
    public void The_inventorys_become_user_wins_over_the_command_line_as_in_Ansible()
    {
        // ansible -i inv -b --become-user root, with ansible_become_user=daemon on the host, runs as daemon.
        (RunSettings settings, _) = Read("db", "-b", "--become-user", "root", "--become-method", "su", "--", "id");
        TargetHost host = settings.Hosts[0] with { BecomeUser = "daemon" };

        Assert.Equal(("su", "daemon"), Become(settings, host));
    }

    [Fact]
    public void Without_T_ssh_keeps_the_ssh_configs_connect_timeout()
    {
        (RunSettings settings, _) = Read("web1", "--", "true");

        Assert.True(settings.SshConnectTimeoutFromConfig);
        Assert.Equal(RunSettings.DefaultConnectTimeout, settings.ConnectTimeout);
        Assert.Null(settings.HostTimeout);
    }

    [Theory]
    [InlineData("-T")]
    [InlineData("--timeout")]
    [InlineData("--connect-timeout")]
    public void T_is_the_connect_timeout_and_host_timeout_bounds_the_whole_host(string option)
    {
        (RunSettings settings, _) = Read("web1", option, "7", "--host-timeout", "90", "--", "true");

        Assert.False(settings.SshConnectTimeoutFromConfig);
        Assert.Equal(TimeSpan.FromSeconds(7), settings.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(90), settings.HostTimeout);
    }

    [Theory]
    [InlineData("-v")]
    [InlineData("-vvv")]
    [InlineData("--verbose")]
    public void V_and_vvv_turn_verbose_on(string option)
    {
        Assert.True(Read("web1", option, "--", "true").Settings.Verbose);
        Assert.False(Read("web1", "--", "true").Settings.Verbose);
    }

    [Fact]
    public void Unreachable_wins_the_exit_code_over_failed_as_in_Ansible()
    {
        TargetHost host = TargetList.Parse("web1").Single();
        HostOutcome ok = new(host, HostState.Ok, TimeSpan.Zero, "", null, null);
        HostOutcome failed = ok with { State = HostState.Failed };
        HostOutcome unreachable = ok with { State = HostState.Unreachable };

        Assert.Equal(0, HostRunner.ExitCode([ok]));
        Assert.Equal(2, HostRunner.ExitCode([ok, failed]));
        Assert.Equal(4, HostRunner.ExitCode([ok, unreachable]));
        Assert.Equal(4, HostRunner.ExitCode([failed, unreachable]));
    }

    private static (string Method, string User) Become(RunSettings settings, TargetHost host)
    {
        (string method, string user, _) = TargetConnector.BecomeOf(settings, host);
        return (method, user);
    }

    /// <summary>Parses an exec command line (after "exec") and reads its settings, as the command does.</summary>
    private static (RunSettings Settings, string? Targets) Read(params string[] args)
    {
        Argument<string[]> words = CommandWords.CreateArgument("[TARGETS] -- COMMAND ARGS", "test");
        var command = new Command("exec") { words };
        var options = new HostCommandOptions();
        options.AddTo(command);
        ParseResult parse = command.Parse(args);
        Assert.Empty(parse.Errors);
        // As exec reads it: at most one TARGETS word before the --.
        string? targets = CommandWords.Read(parse, words).BeforeDoubleDash.SingleOrDefault();
        return (options.Read(parse, targets), targets);
    }
}
