using System.Diagnostics;
using System.Text;

namespace Econtext.TransportTests.Infrastructure;

/// <summary>What a finished command printed and how it exited.</summary>
public sealed record RunResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() =>
        $"{Command} exited with {ExitCode}{Environment.NewLine}stdout: {StandardOutput.TrimEnd()}{Environment.NewLine}stderr: {StandardError.TrimEnd()}";
}

/// <summary>Runs plain commands (no shell in between) with a deadline.</summary>
public static class Shell
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task<RunResult> RunAsync(
        string file,
        IEnumerable<string> arguments,
        string? standardInput = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach ((string key, string? value) in environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(key);
                }
                else
                {
                    info.Environment[key] = value;
                }
            }
        }

        string command = file + " " + string.Join(' ', info.ArgumentList);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + command);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The command exited without reading its input; its output says why.
        }

        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            throw new TimeoutException($"{command} did not finish within {(timeout ?? DefaultTimeout).TotalSeconds} s; it printed {await stdout} {await stderr}");
        }

        return new RunResult(command, process.ExitCode, await stdout, await stderr);
    }

    public static Task<RunResult> RunAsync(string file, params string[] arguments) => RunAsync(file, arguments, standardInput: null);

    /// <summary>Runs the command and throws, with everything it printed, unless it exits with 0.</summary>
    public static async Task<RunResult> CheckAsync(string file, IEnumerable<string> arguments, string? standardInput = null)
    {
        RunResult result = await RunAsync(file, arguments, standardInput);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException("setup command failed: " + result);
        }

        return result;
    }

    public static Task<RunResult> CheckAsync(string file, params string[] arguments) => CheckAsync(file, arguments, standardInput: null);

    /// <summary>Single-quotes a word for sh.</summary>
    public static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The last lines of a text, for failure messages.</summary>
    public static string Tail(IEnumerable<string> lines, int count = 40)
    {
        var builder = new StringBuilder();
        foreach (string line in lines.TakeLast(count))
        {
            builder.Append("  ").AppendLine(line);
        }

        return builder.ToString();
    }
}
