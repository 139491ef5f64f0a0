using System.Diagnostics;

namespace Econtext.TransportTests.Cli;

/// <summary>Runs the econtext tool as users do: a separate process (the build's Econtext.Cli.dll under dotnet), no stdin.</summary>
public static class CliProcess
{
    private static readonly Lazy<string> s_tool = new(FindTool);

    /// <summary>Where compiled eval/run scripts are cached for this test run, apart from root's own cache.</summary>
    public static string ScriptCache { get; } = Path.Combine(Path.GetTempPath(), "econtext-cli-tests-" + Environment.ProcessId, "scripts");

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

    private static string FindTool()
    {
        string path = Path.Combine(RepositoryRoot, "src", "Econtext.Cli", "bin", Configuration, "net10.0", "Econtext.Cli.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build src/Econtext.Cli first", path);
    }
}
