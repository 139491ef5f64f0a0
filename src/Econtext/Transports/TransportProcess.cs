using System.Text;
using Econtext.Native;

namespace Econtext.Transports;

/// <summary>
/// A process that carries a context over its stdin/stdout: the child itself for local contexts, or
/// ssh/sudo/su/doas for others. Keeps the transport's last 100 lines of output (2048 characters of
/// each at most) for diagnostics, answers its password prompt on the terminal once (a second prompt
/// means the password was refused), and makes sure the process is gone when the context is (SIGTERM, then SIGKILL).
/// </summary>
internal sealed class TransportProcess : IDisposable
{
    private const int KeptLines = 100;

    /// <summary>Lines printed after the context started that a disconnect reason quotes (ssh's "Timeout, server not responding.").</summary>
    private const int QuotedLateLines = 3;

    /// <summary>
    /// Characters kept of one line: enough for any message a person reads in an error, while a
    /// transport that prints pieces of an endless line (64 KiB each, see <see cref="OutputPump"/>)
    /// costs the master little for as long as the context lives.
    /// </summary>
    private const int KeptLineChars = 2048;
    private readonly SpawnedProcess _process;
    private readonly Queue<string> _lines = new();
    private readonly Queue<string> _lateLines = new();
    private readonly OutputPump _stderrPump;
    private readonly OutputPump? _terminalPump;
    private readonly string? _prompt;
    private readonly byte[]? _password;
    private int _prompts;

    private TransportProcess(SpawnedProcess process, string description, string? prompt, string? password)
    {
        _process = process;
        Description = description;
        _prompt = prompt;
        _password = password is null ? null : Encoding.UTF8.GetBytes(password + "\n");
        // sudo and doas ask on /dev/tty; su's PAM conversation prints to stderr and reads stdin.
        // Whichever way the prompt comes, the answer goes back the same way, once.
        Stream? answerOnStdin = _prompt is null && _password is null && process.Terminal is null ? null : process.StandardInput;
        _stderrPump = OutputPump.Start(process.StandardErrorHandle, OnLine, answerOnStdin is null ? null : text => TryAnswer(text, answerOnStdin), Remember);
        _terminalPump = process.TerminalHandle is null || process.Terminal is not { } terminal
            ? null
            : OutputPump.Start(process.TerminalHandle, OnLine, text => TryAnswer(text, terminal), Remember);
    }

    public string Description { get; }

    public int ProcessId => _process.ProcessId;

    public Stream Output => _process.StandardOutput;

    public Stream Input => _process.StandardInput;

    /// <summary>Lines the process printed to stderr after the context started, for the output sink.</summary>
    public Action<string>? LateStderr { get; set; }

    /// <summary>The password was typed in once already and the prompt came back: it was refused.</summary>
    public bool PasswordRefused => Volatile.Read(ref _prompts) > 1 && _password is not null;

    /// <summary>The transport asked for a password and none was given.</summary>
    public bool PasswordMissing => Volatile.Read(ref _prompts) > 0 && _password is null;

    /// <summary>The password was typed in at least once.</summary>
    public bool PasswordTyped => Volatile.Read(ref _prompts) > 0 && _password is not null;

    /// <summary>Stderr and terminal output are both drained.</summary>
    public Task OutputDrained => _terminalPump is null ? _stderrPump.Drained : Task.WhenAll(_stderrPump.Drained, _terminalPump.Drained);

    public static TransportProcess Start(TransportSpec spec, IReadOnlyDictionary<string, string>? environment)
    {
        // Its own session: a Ctrl-C at the terminal goes to the terminal's foreground process group, and
        // must reach this program (which then shuts its contexts down in order), not kill ssh under it
        // first and make every host look unreachable. Mitogen detaches its children the same way.
        SpawnedProcess process = SpawnedProcess.Start(spec.Program, spec.Arguments, environment, withTerminal: spec.UseTerminal, newSession: true);
        return new TransportProcess(
            process,
            spec.Description,
            spec.PasswordMode == PasswordMode.Terminal ? spec.PasswordPrompt : null,
            spec.PasswordMode == PasswordMode.Terminal ? spec.Password : null);
    }

    /// <summary>The transport's recent output lines, oldest first.</summary>
    public IReadOnlyList<string> RecentLines()
    {
        lock (_lines)
        {
            return _lines.ToArray();
        }
    }

    public void Remember(string line)
    {
        lock (_lines)
        {
            if (_lines.Count == KeptLines)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line.Length <= KeptLineChars ? line : string.Concat(line.AsSpan(0, KeptLineChars), " [...]"));
        }
    }

    /// <summary>
    /// Reads stdout up to stage 0's marker line, byte by byte so nothing of the protocol is consumed.
    /// Lines before it (banners, shell noise) are remembered. Returns the marker line, or "" at EOF.
    /// </summary>
    public string ReadUntilMarker()
    {
        var line = new List<byte>(128);
        Stream output = Output;
        Span<byte> one = stackalloc byte[1];
        while (true)
        {
            int n;
            try
            {
                n = output.Read(one);
            }
            catch (IOException)
            {
                n = 0;
            }

            if (n <= 0)
            {
                if (line.Count > 0)
                {
                    Remember(Encoding.UTF8.GetString(line.ToArray()));
                }

                return string.Empty;
            }

            if (one[0] != (byte)'\n')
            {
                line.Add(one[0]);
                continue;
            }

            string text = Encoding.UTF8.GetString(line.ToArray()).TrimEnd('\r');
            line.Clear();

            // A login script may leave a line unfinished (a terminal title escape, a prompt), so
            // the marker can arrive at the end of someone else's line.
            foreach (string marker in (ReadOnlySpan<string>)[Stage0Markers.Ready, Stage0Markers.NoRuntime, Stage0Markers.NoTemp, Stage0Markers.RuntimeQuery, Stage0Markers.RuntimeSend])
            {
                int at = text.IndexOf(marker, StringComparison.Ordinal);
                bool carriesText = marker is Stage0Markers.NoRuntime or Stage0Markers.RuntimeQuery;
                if (at >= 0 && (carriesText || at + marker.Length == text.Length))
                {
                    if (at > 0)
                    {
                        Remember(text[..at]);
                    }

                    return text[at..];
                }
            }

            Remember(text);
        }
    }

    /// <summary>How the process ended, waiting up to <paramref name="wait"/> for it to do so.</summary>
    public string DescribeExit(TimeSpan wait)
    {
        if (!_process.WaitForExitAsync().Wait(wait))
        {
            return "still running";
        }

        int code = _process.ExitCode ?? SpawnedProcess.UnknownExitCode;
        return code > 128 && code < 160 ? $"was killed by signal {code - 128}{SignalName(code - 128)}" : $"exited with code {code}";
    }

    /// <summary>
    /// How the context's transport ended, for a disconnect reason: its exit, and the last lines it
    /// printed after the context started, which say why in its own words (ssh's "Timeout, server
    /// not responding.", "Connection to web1 closed by remote host.").
    /// </summary>
    public string DescribeEnd(TimeSpan wait)
    {
        string exit = DescribeExit(wait);
        bool exited = exit != "still running";
        if (exited)
        {
            // Its last words may still be in the pipe.
            try
            {
                OutputDrained.Wait(wait);
            }
            catch (AggregateException)
            {
            }
        }

        // Still running after its stream broke (the heartbeat gave up on it, or it closed its
        // stdout): the router ends it (ReapAsync).
        string end = exited ? $"{Description} {exit}" : $"{Description} was still running and is being ended";
        if (exited && Description is "podman" or "docker" or "buildah")
        {
            // The engine's exec ends with its container: say so, the likeliest reason by far.
            end += " (if the container stopped, start it and connect again)";
        }

        string[] said;
        lock (_lines)
        {
            said = [.. _lateLines];
        }

        return said.Length == 0 ? end : $"{end}; its last output: {string.Join(" / ", said)}";
    }

    /// <summary>Waits for a clean exit, then SIGTERM, then SIGKILL; completes once the process is gone.</summary>
    public async Task TerminateAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        if (await ExitedWithin(grace).ConfigureAwait(false))
        {
            return;
        }

        _process.Signal(Libc.Sigterm);
        if (await ExitedWithin(grace).ConfigureAwait(false))
        {
            return;
        }

        _process.Kill();
        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    public void Kill() => _process.Kill();

    public void Dispose() => _process.Dispose();

    private async Task<bool> ExitedWithin(TimeSpan time)
    {
        Task exited = _process.WaitForExitAsync();
        return await Task.WhenAny(exited, Task.Delay(time)).ConfigureAwait(false) == exited;
    }

    /// <summary>A complete line of stderr or the terminal: remembered and, once the context runs, passed on.</summary>
    private void OnLine(string line)
    {
        Remember(line);
        if (LateStderr is { } late)
        {
            lock (_lines)
            {
                if (_lateLines.Count == QuotedLateLines)
                {
                    _lateLines.Dequeue();
                }

                _lateLines.Enqueue(line);
            }

            late(line);
        }
    }

    /// <summary>An unfinished line that ends in the password prompt is answered, once (see <see cref="Answer"/>).</summary>
    private bool TryAnswer(string pending, Stream answerTo)
    {
        string text = pending.TrimEnd();
        bool isPrompt = _prompt is not null
            ? text.EndsWith(_prompt, StringComparison.Ordinal)
            : text.EndsWith(':') && text.Contains("password", StringComparison.OrdinalIgnoreCase);
        if (!isPrompt)
        {
            return false;
        }

        Remember(text);
        Answer(answerTo);
        return true;
    }

    private void Answer(Stream answerTo)
    {
        int seen = Interlocked.Increment(ref _prompts);
        if (_password is null || seen > 1)
        {
            // No password to give, or it was refused: asking again cannot help.
            _process.Kill();
            return;
        }

        try
        {
            answerTo.Write(_password);
            answerTo.Flush();
        }
        catch (IOException)
        {
        }
    }

    private static string SignalName(int signal) => signal switch
    {
        9 => " (SIGKILL)",
        15 => " (SIGTERM)",
        6 => " (SIGABRT)",
        11 => " (SIGSEGV)",
        2 => " (SIGINT)",
        1 => " (SIGHUP)",
        13 => " (SIGPIPE)",
        _ => string.Empty,
    };
}
