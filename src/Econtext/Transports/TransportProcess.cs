using System.Diagnostics;
using System.Text;
using Econtext.Bootstrap;
using Econtext.Native;

namespace Econtext.Transports;

/// <summary>
/// A process that carries a context over its stdin/stdout: the child itself for local contexts, or
/// ssh/sudo/... for others. Keeps the transport's last 100 lines of output for diagnostics and makes
/// sure the process is gone when the context is (SIGTERM, then SIGKILL after a grace period).
/// </summary>
internal sealed class TransportProcess : IDisposable
{
    private const int KeptLines = 100;
    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly Task _stderrPump;

    private TransportProcess(Process process, string description)
    {
        _process = process;
        Description = description;
        _stderrPump = Task.Factory.StartNew(PumpStderr, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public string Description { get; }

    public int ProcessId => _process.Id;

    public Stream Output => _process.StandardOutput.BaseStream;

    public Stream Input => _process.StandardInput.BaseStream;

    public bool HasExited => _process.HasExited;

    /// <summary>Lines the process printed to stderr after the context started, for the output sink.</summary>
    public Action<string>? LateStderr { get; set; }

    public static TransportProcess Start(string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment, string description)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                start.Environment[key] = value;
            }
        }

        Process process = Process.Start(start) ?? throw new InvalidOperationException($"starting {fileName} returned no process");
        return new TransportProcess(process, description);
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

            _lines.Enqueue(line);
        }
    }

    /// <summary>
    /// Reads stdout up to stage 0's marker line, byte by byte so nothing of the protocol is consumed.
    /// Lines before it (banners, MOTD, shell noise) are remembered. Returns the marker line.
    /// </summary>
    public string ReadUntilMarker()
    {
        var line = new List<byte>(128);
        Stream output = Output;
        Span<byte> one = stackalloc byte[1];
        while (true)
        {
            int n = output.Read(one);
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
            if (text == Stage0.ReadyMarker || text.StartsWith(Stage0.NoRuntimeMarker, StringComparison.Ordinal) || text == Stage0.NoTempMarker)
            {
                return text;
            }

            Remember(text);
        }
    }

    /// <summary>How the process ended, waiting up to <paramref name="wait"/> for it to do so.</summary>
    public string DescribeExit(TimeSpan wait)
    {
        if (!_process.WaitForExit(wait))
        {
            return "still running";
        }

        int code = _process.ExitCode;
        return code > 128 && code < 160 ? $"killed by signal {code - 128}{SignalName(code - 128)}" : $"exited with code {code}";
    }

    /// <summary>Waits for a clean exit, then SIGTERM, then SIGKILL; completes once the process is gone.</summary>
    public async Task TerminateAsync(TimeSpan grace)
    {
        try
        {
            if (_process.HasExited)
            {
                return;
            }

            using (var first = new CancellationTokenSource(grace))
            {
                try
                {
                    await _process.WaitForExitAsync(first.Token).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException)
                {
                }
            }

            _ = Libc.Kill(_process.Id, Libc.Sigterm);
            using (var second = new CancellationTokenSource(grace))
            {
                try
                {
                    await _process.WaitForExitAsync(second.Token).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException)
                {
                }
            }

            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    public Task StderrDrained => _stderrPump;

    private void PumpStderr()
    {
        try
        {
            StreamReader reader = _process.StandardError;
            while (reader.ReadLine() is { } line)
            {
                Remember(line);
                LateStderr?.Invoke(line);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
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
