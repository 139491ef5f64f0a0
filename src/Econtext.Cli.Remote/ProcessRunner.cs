using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Econtext.Cli.Remote;

/// <summary>Runs inside a context for <c>econtext exec</c>: starts a process there and streams its output back.</summary>
public static class ProcessRunner
{
    /// <summary>
    /// Processes still running, killed if the context exits first (shut down, or its parent gone).
    /// Each has a lock so that one tree kill runs at a time and a second caller (the exit handler)
    /// waits for it: two at once can each miss the children (one reaps the shell, the other then
    /// finds them handed to init), and an exit mid-kill leaves them running.
    /// </summary>
    private static readonly ConcurrentDictionary<Process, Lock> s_running = new();

    static ProcessRunner() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="arguments"/> (no shell: each argument reaches the
    /// program as given) and yields its output lines as they come, both streams interleaved in arrival
    /// order, then one exit item, each encoded by <see cref="ProcessOutput.Encode"/>. Standard input is
    /// empty. Leaving the stream early, or cancelling, kills the process and its children.
    /// </summary>
    /// <remarks>
    /// Items are strings rather than <see cref="ProcessOutput"/> records because strings cross the wire
    /// without JsonSerializer, whose first use for a record type costs tens of milliseconds on each
    /// side, in every new context and in the short-lived tool.
    /// </remarks>
    public static async IAsyncEnumerable<string> RunAsync(
        string file,
        string[] arguments,
        string? workingDirectory,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? DefaultWorkingDirectory(),
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            // The runtime's message ("An error occurred trying to start process ...") buries the cause.
            throw new InvalidOperationException($"cannot run '{file}': {ex.Message}", ex);
        }

        s_running[process] = new Lock();

        // Shutdown cancels calls, but the context may exit before this iterator's finally runs.
        using CancellationTokenRegistration onShutdown = CurrentContext.ShuttingDown.Register(() => Kill(process));
        process.StandardInput.Close();

        // Both readers feed one channel so lines reach the master in the order they were produced.
        var lines = Channel.CreateBounded<ProcessOutput>(new BoundedChannelOptions(256) { SingleReader = true });
        using var stop = new CancellationTokenSource();
        Task stdout = PumpAsync(process.StandardOutput, ProcessOutputKind.StandardOutput, lines.Writer, stop.Token);
        Task stderr = PumpAsync(process.StandardError, ProcessOutputKind.StandardError, lines.Writer, stop.Token);
        _ = Task.WhenAll(stdout, stderr).ContinueWith(
            t => lines.Writer.TryComplete(t.Exception),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        bool exited = false;
        try
        {
            await foreach (ProcessOutput line in lines.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return line.Encode();
            }

            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            exited = true;
            s_running.TryRemove(process, out _);
        }
        finally
        {
            if (!exited)
            {
                Kill(process);

                // The pumps may be blocked on a full channel nobody reads any more.
                await stop.CancelAsync().ConfigureAwait(false);
            }
        }

        yield return new ProcessOutput(ProcessOutputKind.Exit, null, process.ExitCode).Encode();
    }

    private static async Task PumpAsync(StreamReader reader, ProcessOutputKind kind, ChannelWriter<ProcessOutput> writer, CancellationToken stop)
    {
        while (await reader.ReadLineAsync(stop).ConfigureAwait(false) is string line)
        {
            await writer.WriteAsync(new ProcessOutput(kind, line, 0), stop).ConfigureAwait(false);
        }
    }

    private static void KillAll()
    {
        foreach (Process process in s_running.Keys)
        {
            Kill(process);
        }
    }

    private static void Kill(Process process)
    {
        if (!s_running.TryGetValue(process, out Lock? killing))
        {
            return;
        }

        lock (killing)
        {
            if (!s_running.ContainsKey(process))
            {
                return;
            }

            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            s_running.TryRemove(process, out _);
        }
    }

    /// <summary>
    /// Where a command runs when the caller names no directory: the user's home, else the directory the
    /// context started in (the login's, which sudo keeps), else /. A user whose home does not exist
    /// (nobody's is /nonexistent) or cannot be entered still gets the command run, as Ansible does.
    /// </summary>
    internal static string DefaultWorkingDirectory()
    {
        foreach (string? candidate in (string?[])[Environment.GetEnvironmentVariable("HOME"), StartDirectory()])
        {
            if (candidate is { Length: > 0 } && CanEnter(candidate))
            {
                return candidate;
            }
        }

        return "/";
    }

    private static string? StartDirectory()
    {
        try
        {
            return Environment.CurrentDirectory;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removed since, or not ours to read.
            return null;
        }
    }

    /// <summary>Whether this process may make <paramref name="directory"/> its working directory: it exists and lists (so it has search permission too, for all but odd modes).</summary>
    private static bool CanEnter(string directory)
    {
        try
        {
            using IEnumerator<string> entries = Directory.EnumerateFileSystemEntries(directory).GetEnumerator();
            entries.MoveNext();
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }
}
