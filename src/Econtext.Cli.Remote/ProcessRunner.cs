using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
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

    /// <summary>At most this many characters of output in one item; more lines wait for the next item.</summary>
    private const int MaxItemChars = 32 * 1024;

    /// <summary>A line longer than this (a program printing without newlines) is sent in pieces of this size.</summary>
    private const int MaxLineChars = 1024 * 1024;

    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="arguments"/> (no shell: each argument reaches the
    /// program as given) and yields its output as it comes, both streams interleaved in arrival order,
    /// then one exit item, each encoded by <see cref="ProcessOutput.Encode"/>. An output item holds the
    /// complete lines that had arrived (see <see cref="ProcessOutput.Lines"/>). Standard input is empty (see <see cref="RunWithInputAsync"/>).
    /// Leaving the stream early, or cancelling, kills the process and its children.
    /// </summary>
    /// <remarks>
    /// Items are strings rather than <see cref="ProcessOutput"/> records because strings cross the wire
    /// without JsonSerializer, whose first use for a record type costs tens of milliseconds on each
    /// side, in every new context and in the short-lived tool. Lines travel in blocks, not one item each:
    /// an item per line cost a message, a channel hop and a console write per line (200,000 lines took
    /// 5.5 s where ssh takes 0.25 s).
    /// </remarks>
    public static IAsyncEnumerable<string> RunAsync(
        string file,
        string[] arguments,
        string? workingDirectory,
        CancellationToken cancellationToken) =>
        RunCoreAsync(file, arguments, workingDirectory, input: null, cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync"/>, with <paramref name="input"/> written to the process's standard input,
    /// which is then closed (<c>econtext exec --stdin</c>). The bytes come whole, in the call: a streamed
    /// call cannot take a ChannelReader argument as well, and the tool reads the input to its end first
    /// anyway, to give every host the same.
    /// </summary>
    public static IAsyncEnumerable<string> RunWithInputAsync(
        string file,
        string[] arguments,
        string? workingDirectory,
        byte[] input,
        CancellationToken cancellationToken) =>
        RunCoreAsync(file, arguments, workingDirectory, input, cancellationToken);

    private static async IAsyncEnumerable<string> RunCoreAsync(
        string file,
        string[] arguments,
        string? workingDirectory,
        byte[]? input,
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
            throw new InvalidOperationException(CannotRun(file, arguments, workingDirectory, ex), ex);
        }

        s_running[process] = new Lock();

        // Shutdown cancels calls, but the context may exit before this iterator's finally runs.
        using CancellationTokenRegistration onShutdown = CurrentContext.ShuttingDown.Register(() => Kill(process));
        Task feeding = input is null ? CloseInput(process) : FeedAsync(process, input, cancellationToken);

        // Both readers feed one channel so lines reach the master in the order they were produced.
        var blocks = Channel.CreateBounded<ProcessOutput>(new BoundedChannelOptions(64) { SingleReader = true });
        using var stop = new CancellationTokenSource();
        Task stdout = PumpAsync(process.StandardOutput.BaseStream, ProcessOutputKind.StandardOutput, blocks.Writer, stop.Token);
        Task stderr = PumpAsync(process.StandardError.BaseStream, ProcessOutputKind.StandardError, blocks.Writer, stop.Token);
        _ = Task.WhenAll(stdout, stderr).ContinueWith(
            t => blocks.Writer.TryComplete(t.Exception),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        bool exited = false;
        try
        {
            ProcessOutput? held = null;
            while (held is not null || await blocks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Blocks that queued while the last item was on its way go together, while they are of one stream.
                ProcessOutput block = held ?? (blocks.Reader.TryRead(out ProcessOutput? first) ? first : null)!;
                held = null;
                if (block is null)
                {
                    continue;
                }

                StringBuilder? merged = null;
                while (blocks.Reader.TryRead(out ProcessOutput? next))
                {
                    int length = (merged?.Length ?? block.Text!.Length) + 1 + next.Text!.Length;
                    if (next.Kind != block.Kind || length > MaxItemChars)
                    {
                        held = next;
                        break;
                    }

                    merged ??= new StringBuilder(block.Text, MaxItemChars);
                    merged.Append('\n').Append(next.Text);
                }

                yield return (merged is null ? block : block with { Text = merged.ToString() }).Encode();
            }

            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await feeding.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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

    private static Task CloseInput(Process process)
    {
        process.StandardInput.Close();
        return Task.CompletedTask;
    }

    /// <summary>Copies the caller's input to the process, then closes its stdin; a process that stops reading ends the copy.</summary>
    private static async Task FeedAsync(Process process, byte[] input, CancellationToken cancellationToken)
    {
        Stream stdin = process.StandardInput.BaseStream;
        try
        {
            await stdin.WriteAsync(input, cancellationToken).ConfigureAwait(false);
            await stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The program exited or closed its stdin (head -1): the rest of the input has nowhere to go.
        }
        finally
        {
            try
            {
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // Already broken.
            }
        }
    }

    /// <summary>
    /// The message for a program that would not start, with the likely fix: a command line given as one
    /// word (a shell's job, so --shell), a program that is not on the target, or a directory that is not there.
    /// </summary>
    private static string CannotRun(string file, string[] arguments, string? workingDirectory, Win32Exception ex)
    {
        // The runtime's message adds "An error occurred trying to start process ... with working directory ..." to the cause.
        string message = $"cannot run '{file}': {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(ex.NativeErrorCode)}";
        if (file.Any(char.IsWhiteSpace) && arguments.Length == 0)
        {
            return message + $". The command is one word with spaces in it, which only a shell splits: add --shell (econtext exec HOSTS --shell -- '{file}'), or give the program and its arguments as separate words (econtext exec HOSTS -- {file}).";
        }

        if (workingDirectory is not null && !Directory.Exists(workingDirectory))
        {
            return message + $". The directory to run in, {workingDirectory}, is not there (--chdir).";
        }

        return message;
    }

    /// <summary>
    /// Reads one stream as raw bytes and sends its complete lines in blocks, as many as each read brought.
    /// UTF-8 whatever the bytes begin with: a StreamReader would take a leading FF FE for UTF-16 and
    /// turn a program's binary or Latin-1 output into Chinese characters.
    /// </summary>
    private static async Task PumpAsync(Stream stream, ProcessOutputKind kind, ChannelWriter<ProcessOutput> writer, CancellationToken stop)
    {
        Decoder decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetDecoder();
        byte[] bytes = new byte[16 * 1024];
        char[] chars = new char[bytes.Length + 4];
        var partial = new StringBuilder();
        int read;
        while ((read = await stream.ReadAsync(bytes, stop).ConfigureAwait(false)) > 0)
        {
            int count = decoder.GetChars(bytes, 0, read, chars, 0, flush: false);
            if (count == 0)
            {
                continue;
            }

            int lastNewline = Array.LastIndexOf(chars, '\n', count - 1, count);
            if (lastNewline < 0)
            {
                partial.Append(chars, 0, count);
                if (partial.Length < MaxLineChars)
                {
                    continue;
                }

                // A line this long goes out in pieces rather than growing without bound.
                await writer.WriteAsync(new ProcessOutput(kind, Lines(partial.ToString()), 0), stop).ConfigureAwait(false);
                partial.Clear();
                continue;
            }

            string block = partial.Length == 0
                ? new string(chars, 0, lastNewline)
                : partial.Append(chars, 0, lastNewline).ToString();
            partial.Clear().Append(chars, lastNewline + 1, count - lastNewline - 1);
            await writer.WriteAsync(new ProcessOutput(kind, Lines(block), 0), stop).ConfigureAwait(false);
        }

        int rest = decoder.GetChars([], 0, 0, chars, 0, flush: true);
        partial.Append(chars, 0, rest);
        if (partial.Length > 0)
        {
            await writer.WriteAsync(new ProcessOutput(kind, Lines(partial.ToString()), 0), stop).ConfigureAwait(false);
        }
    }

    /// <summary>Lines end at LF; a CR before it (CRLF output) is not part of the line, as it was not for ReadLine.</summary>
    private static string Lines(string block) => block.Contains('\r', StringComparison.Ordinal) ? block.Replace("\r\n", "\n", StringComparison.Ordinal) : block;

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
