using System.ComponentModel;
using Econtext.Native;
using Microsoft.Win32.SafeHandles;

namespace Econtext.Transports;

/// <summary>
/// A child process with pipes on stdin/stdout/stderr and, optionally, a pseudo-terminal as its
/// controlling terminal, which System.Diagnostics.Process cannot set up. The protocol runs over the
/// pipes (a tty's 4 KiB buffer and line discipline would throttle and mangle it); the terminal is
/// only there so su/sudo/doas can open /dev/tty to ask for a password, which the caller answers by
/// writing to <see cref="Terminal"/>. The layout is Mitogen's: a pty pair (posix_openpt), then
/// posix_spawn with POSIX_SPAWN_SETSID and the slave opened by path in the child, so it becomes the
/// controlling terminal of the new session. The parts: <see cref="ChildEnvironment"/> and
/// <see cref="ProgramSearch"/> say what runs, <see cref="ChildDescriptors"/> and
/// <see cref="PseudoTerminal"/> make what it gets, <see cref="PosixSpawner"/> starts it,
/// <see cref="ProcessReaper"/> waits for its end and signals it until then.
/// </summary>
internal sealed class SpawnedProcess : IDisposable
{
    /// <summary>Reported as the exit code when someone else reaped the process, so its status is unknown.</summary>
    public const int UnknownExitCode = -1;

    private static readonly TimeSpan s_disposeWait = TimeSpan.FromSeconds(5);

    private readonly ProcessReaper _reaper;
    private int _disposed;

    private SpawnedProcess(int processId, int stdinWrite, int stdoutRead, int stderrRead, int terminalMaster, int terminalSlave, string? terminalName)
    {
        // We hold the slave open so reads on the master block, rather than fail with EIO, while
        // the child has not opened /dev/tty yet. Once it is reaped, reads end when its descendants
        // let go too. The reaper is made first: it opens the pidfd while the pid surely is our child.
        _reaper = new ProcessReaper(processId, terminalSlave < 0 ? null : () => Libc.CloseIfOpen(terminalSlave));
        TerminalName = terminalName;
        StandardInput = new FileStream(new SafeFileHandle(stdinWrite, ownsHandle: true), FileAccess.Write, bufferSize: 0);
        StandardOutput = new FileStream(new SafeFileHandle(stdoutRead, ownsHandle: true), FileAccess.Read, bufferSize: 0);
        StandardErrorHandle = new SafeFileHandle(stderrRead, ownsHandle: true);
        StandardError = new FileStream(StandardErrorHandle, FileAccess.Read, bufferSize: 0);
        TerminalHandle = terminalMaster >= 0 ? new SafeFileHandle(terminalMaster, ownsHandle: true) : null;
        Terminal = TerminalHandle is null ? null : new TerminalStream(TerminalHandle);
        _reaper.Start();
    }

    public int ProcessId => _reaper.ProcessId;

    /// <summary>The child's stdin (write end of a pipe).</summary>
    public Stream StandardInput { get; }

    /// <summary>The child's stdout (read end of a pipe).</summary>
    public Stream StandardOutput { get; }

    /// <summary>The child's stderr (read end of a pipe).</summary>
    public Stream StandardError { get; }

    /// <summary><see cref="StandardError"/>'s descriptor, for reading it from <see cref="DescriptorPoller"/>.</summary>
    public SafeFileHandle StandardErrorHandle { get; }

    /// <summary><see cref="Terminal"/>'s descriptor (the pseudo-terminal master), or null without a terminal.</summary>
    public SafeFileHandle? TerminalHandle { get; }

    /// <summary>
    /// The pseudo-terminal master, or null without a terminal. Reads return what the child writes
    /// to /dev/tty (prompts); writes are what it reads from /dev/tty. Echo is off. Reads end (return
    /// 0) once the child has exited and nothing else has the terminal open.
    /// </summary>
    public Stream? Terminal { get; }

    /// <summary>The slave's path (/dev/pts/N), or null without a terminal.</summary>
    public string? TerminalName { get; }

    public bool HasExited => _reaper.Exit.IsCompleted;

    /// <summary>
    /// The exit code, 128 + the signal if a signal ended it (as Process reports it), null while it
    /// runs, or <see cref="UnknownExitCode"/> if someone else reaped it and the status is lost.
    /// </summary>
    public int? ExitCode => _reaper.Exit.IsCompleted ? _reaper.Exit.Result : null;

    /// <summary>
    /// Starts <paramref name="fileName"/> (looked up on PATH unless it contains '/') with the current
    /// environment plus <paramref name="environmentOverrides"/>. With <paramref name="withTerminal"/>
    /// the child runs in a new session whose controlling terminal is a fresh pseudo-terminal;
    /// <paramref name="newSession"/> asks for a new session without one, so the child cannot reach
    /// our own terminal either.
    /// </summary>
    /// <exception cref="Win32Exception">The program was not found, is not executable, or could not be started.</exception>
    public static SpawnedProcess Start(string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environmentOverrides, bool withTerminal, bool newSession = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(arguments);

        Dictionary<string, string> environment = ChildEnvironment.Merge(environmentOverrides);
        string path = ProgramSearch.Resolve(fileName, environment);
        var argv = new List<string>(arguments.Count + 1) { fileName };
        argv.AddRange(arguments);
        foreach (string argument in argv)
        {
            if (argument.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"An argument of '{fileName}' contains a NUL character.", nameof(arguments));
            }
        }

        List<string> envp = ChildEnvironment.ToEntries(environment);
        int stdinRead = -1, stdinWrite = -1, stdoutRead = -1, stdoutWrite = -1, stderrRead = -1, stderrWrite = -1;
        int master = -1, slave = -1;
        try
        {
            (stdinRead, stdinWrite) = ChildDescriptors.PipeAboveStdio();
            (stdoutRead, stdoutWrite) = ChildDescriptors.PipeAboveStdio();
            (stderrRead, stderrWrite) = ChildDescriptors.PipeAboveStdio();
            string? terminalName = null;
            if (withTerminal)
            {
                (master, slave, terminalName) = PseudoTerminal.Open();
            }

            int pid = PosixSpawner.Start(fileName, path, argv, envp, stdinRead, stdoutWrite, stderrWrite, terminalName, setsid: withTerminal || newSession);
            var process = new SpawnedProcess(pid, stdinWrite, stdoutRead, stderrRead, master, slave, terminalName);
            stdinWrite = stdoutRead = stderrRead = master = slave = -1;
            return process;
        }
        finally
        {
            // The child has its own copies of its ends (or failed to start): ours go either way.
            Libc.CloseIfOpen(stdinRead);
            Libc.CloseIfOpen(stdinWrite);
            Libc.CloseIfOpen(stdoutRead);
            Libc.CloseIfOpen(stdoutWrite);
            Libc.CloseIfOpen(stderrRead);
            Libc.CloseIfOpen(stderrWrite);
            Libc.CloseIfOpen(master);
            Libc.CloseIfOpen(slave);
        }
    }

    /// <summary>Completes with <see cref="ExitCode"/> once the process has exited and been reaped.</summary>
    public Task<int> WaitForExitAsync(CancellationToken cancellationToken = default) => _reaper.Exit.WaitAsync(cancellationToken);

    /// <summary>Sends <paramref name="signal"/> to the process; does nothing once it has been reaped.</summary>
    public void Signal(int signal) => _reaper.Signal(signal);

    /// <summary>SIGKILL. Only the process itself: what it started goes with its pipes and terminal.</summary>
    public void Kill() => Signal(Libc.Sigkill);

    /// <summary>Kills the process if it still runs, reaps it, and closes our ends of its pipes and terminal.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill();

        // SIGKILL cannot be caught, but a process in uninterruptible sleep can take its time; the
        // reaper reaps it whenever it goes, so the wait is bounded.
        _ = _reaper.Exit.Wait(s_disposeWait);
        StandardInput.Dispose();
        StandardOutput.Dispose();
        StandardError.Dispose();
        Terminal?.Dispose();
    }
}
