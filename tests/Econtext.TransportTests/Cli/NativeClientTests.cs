using System.Diagnostics;
using System.Globalization;

namespace Econtext.TransportTests.Cli;

/// <summary>
/// The native econtext client (src/Econtext.Client, Native AOT), published beside the managed tool by
/// src/Econtext.Client/publish, as people run it: a host command goes to the agent it starts and is served
/// warm the second time by the same agent; --no-agent runs in the managed tool with no agent; agent stop
/// ends the agent and its contexts. Each test has an agent directory of its own.
/// </summary>
public sealed class NativeClientTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>The first publish compiles the client to native code and may restore the ILCompiler packages.</summary>
    private static readonly TimeSpan s_publishBound = TimeSpan.FromMinutes(5);

    /// <summary>Once per test run, so that the folder is never an older build's (seconds when it is up to date).</summary>
    private static readonly Lazy<Task<string>> s_published = new(PublishAsync);

    private readonly string _agentDir = Path.Combine(Path.GetTempPath(), "econtext-native-" + Guid.NewGuid().ToString("N")[..8]);

    private string Socket => Path.Combine(_agentDir, "agent.sock");

    [Fact(Timeout = 420000)]
    public async Task A_second_command_is_served_warm_by_the_same_agent()
    {
        string client = await ClientAsync();

        AssertSaysHi(await RunAsync(client, "exec", "local", "--", "echo", "hi"));
        (int AgentPid, int ContextPid, int Uses) first = await StatusAsync(client);
        Assert.Equal(1, first.Uses);
        Assert.Contains("agent serve", Processes.CommandLine(first.AgentPid), StringComparison.Ordinal);
        Assert.Contains(Path.Combine(Path.GetDirectoryName(client)!, "Econtext.Cli.dll"), Processes.CommandLine(first.AgentPid), StringComparison.Ordinal);

        AssertSaysHi(await RunAsync(client, "exec", "local", "--", "echo", "hi"));
        (int AgentPid, int ContextPid, int Uses) second = await StatusAsync(client);
        Assert.Equal(first.AgentPid, second.AgentPid);
        Assert.Equal(first.ContextPid, second.ContextPid);
        Assert.Equal(2, second.Uses);
    }

    [Fact(Timeout = 420000)]
    public async Task No_agent_runs_the_command_in_the_managed_tool_and_starts_no_agent()
    {
        string client = await ClientAsync();

        AssertSaysHi(await RunAsync(client, "exec", "local", "--no-agent", "--", "echo", "hi"));

        // A client that starts an agent waits for its socket before it sends the command: none now means none was started.
        Assert.False(File.Exists(Socket), "an agent socket appeared: " + Socket);
        Assert.False(File.Exists(Path.Combine(_agentDir, "agent.log")), "an agent was started: its log is in " + _agentDir);
        CliResult status = await RunAsync(client, "agent", "status");
        Assert.Equal(0, status.ExitCode);
        Assert.StartsWith("no agent is running", status.Stdout, StringComparison.Ordinal);
    }

    [Fact(Timeout = 420000)]
    public async Task Agent_stop_ends_the_agent_and_the_contexts_it_keeps()
    {
        string client = await ClientAsync();
        AssertSaysHi(await RunAsync(client, "exec", "local", "--", "echo", "hi"));
        (int AgentPid, int ContextPid, int Uses) status = await StatusAsync(client);
        Assert.True(Processes.IsRunning(status.ContextPid), $"the warm context (pid {status.ContextPid}) is not running");

        CliResult stop = await RunAsync(client, "agent", "stop");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.Contains("stopping: 1 context shut down", stop.Stdout, StringComparison.Ordinal);

        Assert.True(await Processes.WaitGoneAsync([status.AgentPid, status.ContextPid], Bound), $"the agent (pid {status.AgentPid}) or its context (pid {status.ContextPid}) still runs {Bound.TotalSeconds:0} s after agent stop");
        Assert.False(File.Exists(Socket), "the stopped agent left its socket: " + Socket);
        CliResult after = await RunAsync(client, "agent", "status");
        Assert.StartsWith("no agent is running", after.Stdout, StringComparison.Ordinal);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Ends every agent this test's directory saw (its log names them), politely first.</summary>
    public async Task DisposeAsync()
    {
        string log = Path.Combine(_agentDir, "agent.log");
        if (File.Exists(log))
        {
            if (File.Exists(Socket) && s_published.Value.IsCompletedSuccessfully)
            {
                await RunAsync(Path.Combine(s_published.Value.Result, "econtext"), "agent", "stop");
            }

            List<int> agents = [.. File.ReadLines(log).Select(AgentPidOf).OfType<int>().Where(pid => Processes.CommandLine(pid).Contains("agent serve", StringComparison.Ordinal))];
            if (!await Processes.WaitGoneAsync(agents, Bound))
            {
                agents.ForEach(pid => Processes.Signal(pid, Processes.SigKill));
                Assert.Fail($"an agent of {_agentDir} did not end after agent stop; killed: {string.Join(' ', agents)}");
            }
        }

        if (Directory.Exists(_agentDir))
        {
            Directory.Delete(_agentDir, recursive: true);
        }
    }

    private static void AssertSaysHi(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("local | hi", result.Stdout.Split('\n'));
    }

    /// <summary>The agent's "pid N listening on" line in its log.</summary>
    private static int? AgentPidOf(string line)
    {
        const string Marker = "econtext agent: pid ";
        int at = line.IndexOf(Marker, StringComparison.Ordinal);
        return at >= 0 && line.Contains(" listening on ", StringComparison.Ordinal)
            ? int.Parse(line[(at + Marker.Length)..].Split(' ')[0], CultureInfo.InvariantCulture)
            : null;
    }

    private async Task<string> ClientAsync()
    {
        string folder = await s_published.Value;
        output.WriteLine($"native client: {folder}/econtext; agent directory {_agentDir}");
        return Path.Combine(folder, "econtext");
    }

    private Task<CliResult> RunAsync(string client, params string[] args) =>
        CliProcess.RunFileAsync(output, client, args, environment: new Dictionary<string, string>
        {
            ["ECONTEXT_AGENT_DIR"] = _agentDir,
            // Should a test die before its clean-up, its agent still ends by itself.
            ["ECONTEXT_PERSIST"] = "2m",
        });

    /// <summary>The agent's pid and, for its one context (local), the context's pid and its uses, from <c>econtext agent status</c>.</summary>
    private async Task<(int AgentPid, int ContextPid, int Uses)> StatusAsync(string client)
    {
        CliResult status = await RunAsync(client, "agent", "status");
        Assert.True(status.ExitCode == 0, status.ToString());
        string[] lines = status.Stdout.Split('\n');
        Assert.StartsWith("agent pid ", lines[0], StringComparison.Ordinal);
        int agentPid = int.Parse(lines[0]["agent pid ".Length..].Split(',')[0], CultureInfo.InvariantCulture);

        // The table's cells start where their headings do.
        string header = Assert.Single(lines, l => l.StartsWith("CONTEXT ", StringComparison.Ordinal));
        string row = Assert.Single(lines, l => l.StartsWith("local ", StringComparison.Ordinal));
        int Cell(string heading) => int.Parse(row[(header.IndexOf(" " + heading + " ", StringComparison.Ordinal) + 1)..].Split(' ')[0], CultureInfo.InvariantCulture);
        return (agentPid, Cell("PID"), Cell("USES"));
    }

    /// <summary>Runs src/Econtext.Client/publish into artifacts/econtext; with a Release test build, from that build of the managed tool.</summary>
    private static async Task<string> PublishAsync()
    {
        string root = CliProcess.RepositoryRoot;
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = root,
        };
        start.ArgumentList.Add(Path.Combine(root, "src", "Econtext.Client", "publish"));
#if !DEBUG
        // Not rebuilt under the other tests, which run this very build.
        start.ArgumentList.Add("--no-build");
#endif

        start.ArgumentList.Add(Path.Combine(root, "artifacts", "econtext"));
        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(s_publishBound);
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"src/Econtext.Client/publish did not finish within {s_publishBound.TotalMinutes:0} minutes");
        }

        string folder = (await stdout).Trim().Split('\n')[^1];
        if (process.ExitCode != 0 || !File.Exists(Path.Combine(folder, "econtext")))
        {
            throw new InvalidOperationException(
                $"src/Econtext.Client/publish failed (exit {process.ExitCode}). The native client needs clang (apt-get install clang; .ci/packages has it) "
                + $"and the ILCompiler packages from NuGet. Its output:\n{await stderr}");
        }

        // An apphost would need econtext.dll beside it: none means the econtext here is the native client.
        Assert.False(File.Exists(Path.Combine(folder, "econtext.dll")), "econtext.dll in " + folder + ": the client there is not the native one");
        return folder;
    }
}
