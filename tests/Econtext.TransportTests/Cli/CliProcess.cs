using System.Diagnostics;

namespace Econtext.TransportTests.Cli;

/// <summary>
/// Runs the econtext tool as users do: a separate process (the build's Econtext.Cli.dll under dotnet), no
/// stdin, and, as for users, through the agent: one for this test run (in <see cref="AgentDirectory"/>),
/// shared by every test as a person's shells share theirs, and stopped when the test process ends.
/// </summary>
public static class CliProcess
{
    private static readonly Lazy<string> s_tool = new(FindTool);
    private static readonly Lazy<string> s_agentDirectory = new(MakeAgentDirectory);

    /// <summary>Where compiled eval/run scripts are cached for this test run, apart from root's own cache.</summary>
    public static string ScriptCache { get; } = Path.Combine(Path.GetTempPath(), "econtext-cli-tests-" + Environment.ProcessId, "scripts");

    /// <summary>The test run's agent directory (made 0700 on first use).</summary>
    public static string AgentDirectory => s_agentDirectory.Value;

    /// <summary>The tool's assembly, for tests that run it their own way.</summary>
    public static string Tool => s_tool.Value;

    public static string RepositoryRoot
    {
        get
        {
            for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "Econtext.slnx")))
                {
                    return dir;
                }
            }

            throw new InvalidOperationException("Econtext.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    public static Task<CliResult> RunAsync(ITestOutputHelper output, params string[] args) =>
        RunFileAsync(output, "dotnet", [s_tool.Value, .. args]);

    /// <summary>Runs any program with a 90 s bound, killing its whole tree if it is exceeded; <paramref name="environment"/> is added to the tool's variables.</summary>
    public static async Task<CliResult> RunFileAsync(ITestOutputHelper output, string file, IEnumerable<string> args, string? workingDirectory = null, string? stdin = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (string arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment["ECONTEXT_SCRIPT_CACHE"] = ScriptCache;
        startInfo.Environment["ECONTEXT_AGENT_DIR"] = AgentDirectory;
        startInfo.Environment["NO_COLOR"] = "1";
        startInfo.Environment["COLUMNS"] = "200";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        output.WriteLine("$ " + file + " " + string.Join(' ', startInfo.ArgumentList.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a)));

        using var process = Process.Start(startInfo)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not exit within 90 s");
        }

        var result = new CliResult(process.ExitCode, await stdout, await stderr);
        output.WriteLine(result.ToString());
        return result;
    }

    /// <summary>
    /// Runs the tool on a pseudo-terminal (util-linux <c>script</c>), typing <paramref name="typed"/>
    /// into it: for what only a terminal gets, such as the -K password prompt.
    /// </summary>
    public static Task<CliResult> RunOnTerminalAsync(ITestOutputHelper output, string typed, params string[] args)
    {
        string command = string.Join(' ', new[] { "dotnet", s_tool.Value }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        return RunFileAsync(output, "script", ["-q", "-e", "-c", command, "/dev/null"], stdin: typed);
    }

    /// <summary>The build configuration of these tests, which is the tool's too (the solution builds both).</summary>
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    private static string MakeAgentDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), "econtext-cli-tests-" + Environment.ProcessId, "agent");
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // No test leaves the run's agent, or the contexts it keeps, behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAgent(directory);
        return directory;
    }

    /// <summary>Stops the agent of <paramref name="directory"/> (of the build of <paramref name="tool"/>, by default this run's), if one runs there, and waits for it to end (bounded).</summary>
    public static void StopAgent(string directory, string? tool = null)
    {
        var stop = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string word in (string[])[tool ?? s_tool.Value, "agent", "stop"])
        {
            stop.ArgumentList.Add(word);
        }

        stop.Environment["ECONTEXT_AGENT_DIR"] = directory;
        using Process? process = Process.Start(stop);
        if (process is null)
        {
            return;
        }

        string said = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
        }

        // "agent pid N stopping: ...": it has shut every context down when that process is gone.
        System.Text.RegularExpressions.Match pid = System.Text.RegularExpressions.Regex.Match(said, @"agent pid (\d+) stopping");
        if (pid.Success)
        {
            // Synchronous: this also runs from the ProcessExit handler.
            Processes.WaitGoneAsync([int.Parse(pid.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        }
    }

    private static string FindTool()
    {
        string path = Path.Combine(RepositoryRoot, "src", "Econtext.Cli", "bin", Configuration, "net10.0", "Econtext.Cli.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build src/Econtext.Cli first", path);
    }
}
