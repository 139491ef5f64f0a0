using System.Collections;
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
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
/// controlling terminal of the new session.
/// </summary>
internal sealed class SpawnedProcess : IDisposable, IPolledDescriptor
{
    /// <summary>Reported as the exit code when someone else reaped the process, so its status is unknown.</summary>
    public const int UnknownExitCode = -1;

    private const string DefaultSearchPath = "/usr/local/bin:/usr/bin:/bin";
    private const int ReaperStackSize = 256 * 1024;
    private static readonly TimeSpan s_disposeWait = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pidfd;
    private int _terminalSlave;
    private bool _reaped;
    private bool _disposed;

    private SpawnedProcess(int processId, int stdinWrite, int stdoutRead, int stderrRead, int terminalMaster, int terminalSlave, string? terminalName)
    {
        ProcessId = processId;

        // Opened before the reaper starts, so the pid still names our child (a zombie at worst).
        // Signals then go through the pidfd and can never hit a recycled pid.
        _pidfd = Spawn.PidfdOpen(processId);
        _terminalSlave = terminalSlave;
        TerminalName = terminalName;
        StandardInput = new FileStream(new SafeFileHandle(stdinWrite, ownsHandle: true), FileAccess.Write, bufferSize: 0);
        StandardOutput = new FileStream(new SafeFileHandle(stdoutRead, ownsHandle: true), FileAccess.Read, bufferSize: 0);
        StandardErrorHandle = new SafeFileHandle(stderrRead, ownsHandle: true);
        StandardError = new FileStream(StandardErrorHandle, FileAccess.Read, bufferSize: 0);
        TerminalHandle = terminalMaster >= 0 ? new SafeFileHandle(terminalMaster, ownsHandle: true) : null;
        Terminal = TerminalHandle is null ? null : new TerminalStream(TerminalHandle);

        // The shared poller thread polls the pidfd, which turns readable the moment the child dies,
        // and then reaps it; without a pidfd a thread of our own blocks in waitpid(pid). .NET's
        // SIGCHLD handling reaps only the pids System.Diagnostics.Process started and leaves ours
        // alone, except when .NET is pid 1 (then it reaps every child) or SIGCHLD was ignored when it
        // started (then the kernel reaps them). waitpid then fails with ECHILD, and the status comes
        // from the pidfd instead (see StatusReapedElsewhere).
        if (_pidfd < 0 || !DescriptorPoller.TryWatch(this))
        {
            var reaper = new Thread(Reap, ReaperStackSize) { IsBackground = true, Name = $"Econtext reaper {processId}" };
            reaper.UnsafeStart();
        }
    }

    public int ProcessId { get; }

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

    public bool HasExited => _exit.Task.IsCompleted;

    /// <summary>
    /// The exit code, 128 + the signal if a signal ended it (as Process reports it), null while it
    /// runs, or <see cref="UnknownExitCode"/> if someone else reaped it and the status is lost.
    /// </summary>
    public int? ExitCode => _exit.Task.IsCompleted ? _exit.Task.Result : null;

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

        Dictionary<string, string> environment = MergeEnvironment(environmentOverrides);
        string path = Resolve(fileName, environment);
        var argv = new List<string>(arguments.Count + 1) { fileName };
        argv.AddRange(arguments);
        foreach (string argument in argv)
        {
            if (argument.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"An argument of '{fileName}' contains a NUL character.", nameof(arguments));
            }
        }

        var envp = new List<string>(environment.Count);
        foreach ((string key, string value) in environment)
        {
            envp.Add(key + "=" + value);
        }

        int stdinRead = -1, stdinWrite = -1, stdoutRead = -1, stdoutWrite = -1, stderrRead = -1, stderrWrite = -1;
        int master = -1, slave = -1;
        try
        {
            (stdinRead, stdinWrite) = PipeAboveStdio();
            (stdoutRead, stdoutWrite) = PipeAboveStdio();
            (stderrRead, stderrWrite) = PipeAboveStdio();
            string? terminalName = null;
            if (withTerminal)
            {
                (master, slave, terminalName) = OpenTerminal();
            }

            int pid = SpawnChild(fileName, path, argv, envp, stdinRead, stdoutWrite, stderrWrite, terminalName, setsid: withTerminal || newSession);
            var process = new SpawnedProcess(pid, stdinWrite, stdoutRead, stderrRead, master, slave, terminalName);
            stdinWrite = stdoutRead = stderrRead = master = slave = -1;
            return process;
        }
        finally
        {
            // The child has its own copies of its ends (or failed to start): ours go either way.
            CloseIfOpen(stdinRead);
            CloseIfOpen(stdinWrite);
            CloseIfOpen(stdoutRead);
            CloseIfOpen(stdoutWrite);
            CloseIfOpen(stderrRead);
            CloseIfOpen(stderrWrite);
            CloseIfOpen(master);
            CloseIfOpen(slave);
        }
    }

    /// <summary>Completes with <see cref="ExitCode"/> once the process has exited and been reaped.</summary>
    public Task<int> WaitForExitAsync(CancellationToken cancellationToken = default) => _exit.Task.WaitAsync(cancellationToken);

    /// <summary>Sends <paramref name="signal"/> to the process; does nothing once it has been reaped.</summary>
    public void Signal(int signal)
    {
        lock (_gate)
        {
            if (_reaped)
            {
                return;
            }

            // Without a pidfd (kernel before 5.3) kill(2) is used; the pid cannot be recycled before
            // the reaper marks it reaped, bar the instant between waitpid returning and that mark.
            int result = _pidfd >= 0 ? Spawn.PidfdSendSignal(_pidfd, signal) : Libc.Kill(ProcessId, signal);
            int error = result == 0 ? 0 : Marshal.GetLastPInvokeError();
            if (result != 0 && error != Spawn.Esrch)
            {
                throw new Win32Exception(error, $"Sending signal {signal} to process {ProcessId} failed: {Marshal.GetPInvokeErrorMessage(error)}");
            }
        }
    }

    /// <summary>SIGKILL. Only the process itself: what it started goes with its pipes and terminal.</summary>
    public void Kill() => Signal(Libc.Sigkill);

    /// <summary>Kills the process if it still runs, reaps it, and closes our ends of its pipes and terminal.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        Kill();

        // SIGKILL cannot be caught, but a process in uninterruptible sleep can take its time; the
        // reaper thread reaps it whenever it goes, so the wait is bounded.
        _ = _exit.Task.Wait(s_disposeWait);
        StandardInput.Dispose();
        StandardOutput.Dispose();
        StandardError.Dispose();
        Terminal?.Dispose();
    }

    /// <summary>The reaper of a process without a pidfd: a thread of its own, blocked in waitpid.</summary>
    private void Reap()
    {
        while (!TryReap(0))
        {
        }
    }

    /// <summary>The pidfd, which stays open until the process has been reaped, which only <see cref="IPolledDescriptor.OnReady"/> does then.</summary>
    int IPolledDescriptor.Descriptor => _pidfd;

    /// <summary>The pidfd turned readable: reaps the process without blocking; true once reaped.</summary>
    bool IPolledDescriptor.OnReady()
    {
        if (TryReap(Spawn.Wnohang))
        {
            return true;
        }

        // Readable with nothing to reap yet: some early pidfd kernels woke pollers when a
        // thread-group leader exited before its other threads. The pause keeps the poller from
        // spinning on it until the rest of the group has gone.
        Thread.Sleep(1);
        return false;
    }

    /// <summary>
    /// One waitpid with <paramref name="options"/> (0 blocks; WNOHANG does not): true once the process
    /// has been reaped here or turned out to be reaped elsewhere (ECHILD), false if it has not ended.
    /// </summary>
    private bool TryReap(int options)
    {
        int status;
        int result;
        do
        {
            result = Spawn.WaitPid(ProcessId, out status, options);
        }
        while (result < 0 && Marshal.GetLastPInvokeError() == Libc.Eintr);

        if (result == 0 || (result == ProcessId && !Spawn.IsTermination(status)))
        {
            return false;
        }

        Reaped(result == ProcessId ? Spawn.DecodeWaitStatus(status) : StatusReapedElsewhere());
        return true;
    }

    private void Reaped(int code)
    {
        lock (_gate)
        {
            _reaped = true;
            CloseIfOpen(_pidfd);
            _pidfd = -1;

            // We held the slave open so reads on the master block, rather than fail with EIO, while
            // the child has not opened /dev/tty yet. Now reads end once its descendants let go too.
            CloseIfOpen(_terminalSlave);
            _terminalSlave = -1;
        }

        _exit.TrySetResult(code);
    }

    /// <summary>
    /// After ECHILD: .NET (as pid 1) or the kernel (SIGCHLD ignored) reaped the process first; see
    /// the constructor. Kernels from 6.15 keep its status for the pidfd. Whoever reaped it records
    /// the status just after making it unwaitable, so it may take a moment; the spin is bounded.
    /// Without a pidfd (an old kernel, or a child reaped before we could open one) it is lost.
    /// </summary>
    private int StatusReapedElsewhere()
    {
        if (_pidfd < 0)
        {
            return UnknownExitCode;
        }

        var spin = default(SpinWait);
        for (int attempt = 0; attempt < 40; attempt++)
        {
            if (Spawn.PidfdExitStatus(_pidfd) is int status)
            {
                return Spawn.DecodeWaitStatus(status);
            }

            spin.SpinOnce();
        }

        return UnknownExitCode;
    }

    private static Dictionary<string, string> MergeEnvironment(IReadOnlyDictionary<string, string>? overrides)
    {
        // .NET keeps its own copy of the environment (SetEnvironmentVariable does not touch libc's
        // environ), so this, like Process.Start, passes what .NET code sees.
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value)
            {
                environment[key] = value;
            }
        }

        if (overrides is not null)
        {
            foreach ((string key, string value) in overrides)
            {
                if (key.Length == 0 || key.Contains('=', StringComparison.Ordinal) || key.Contains('\0', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Invalid environment variable '{key}'.", nameof(overrides));
                }

                environment[key] = value;
            }
        }

        return environment;
    }

    /// <summary>
    /// Finds <paramref name="fileName"/> on the child's PATH, as execvp would. Done here rather than
    /// with posix_spawnp, which would search libc's environ, not the child's, and could not say
    /// which of "missing" and "not executable" it met.
    /// </summary>
    private static string Resolve(string fileName, Dictionary<string, string> environment)
    {
        if (fileName.Contains('/', StringComparison.Ordinal))
        {
            return fileName;
        }

        string searchPath = environment.TryGetValue("PATH", out string? value) && value.Length > 0 ? value : DefaultSearchPath;
        string? notExecutable = null;
        foreach (string directory in searchPath.Split(':'))
        {
            string candidate = Path.Join(directory.Length == 0 ? "." : directory, fileName);
            if (Directory.Exists(candidate))
            {
                continue;
            }

            if (Libc.Access(candidate, Spawn.XOk) == 0)
            {
                return candidate;
            }

            if (notExecutable is null && File.Exists(candidate))
            {
                notExecutable = candidate;
            }
        }

        throw notExecutable is null
            ? new Win32Exception(Spawn.Enoent, $"'{fileName}' was not found on PATH ({searchPath}).")
            : new Win32Exception(Spawn.Eacces, $"'{fileName}' was found at {notExecutable} but is not executable.");
    }

    private static (int Read, int Write) PipeAboveStdio()
    {
        (int read, int write) = Libc.Pipe();
        try
        {
            read = AboveStdio(read);
            write = AboveStdio(write);

            // 1 MiB instead of 64 KiB, as the child does on its side: bulk data (a file, 1 MiB
            // messages) then moves in large writes and reads, with far fewer wake-ups on each end.
            // Best effort: the system's pipe-max-size may refuse it.
            _ = Libc.Fcntl(read, Libc.FSetPipeSize, 1 << 20);
            return (read, write);
        }
        catch
        {
            CloseIfOpen(read);
            CloseIfOpen(write);
            throw;
        }
    }

    /// <summary>
    /// Moves an fd off 0/1/2 (which it only is if our own stdio was closed): dup2-ing it onto another
    /// standard fd in the child could otherwise overwrite a source not yet copied.
    /// </summary>
    private static int AboveStdio(int fd)
    {
        if (fd > 2)
        {
            return fd;
        }

        try
        {
            return Libc.DupCloexec(fd);
        }
        finally
        {
            _ = Libc.Close(fd);
        }
    }

    private static unsafe (int Master, int Slave, string Name) OpenTerminal()
    {
        // posix_openpt rather than openpty: it lives in libc on every glibc (openpty was in libutil
        // before 2.34) and takes O_CLOEXEC, so no other child can inherit the master.
        int master = Spawn.PosixOpenpt(Libc.ORdwr | Spawn.ONoctty | Libc.OCloexec);
        if (master < 0)
        {
            throw NativeError("opening a pseudo-terminal (posix_openpt)", Marshal.GetLastPInvokeError());
        }

        int slave = -1;
        try
        {
            master = AboveStdio(master);
            if (Spawn.Grantpt(master) != 0 || Spawn.Unlockpt(master) != 0)
            {
                throw NativeError("unlocking the pseudo-terminal", Marshal.GetLastPInvokeError());
            }

            byte* buffer = stackalloc byte[256];
            int error = Spawn.PtsnameR(master, buffer, 256);
            if (error != 0)
            {
                throw NativeError("naming the pseudo-terminal (ptsname_r)", error);
            }

            string name = Marshal.PtrToStringUTF8((nint)buffer) ?? string.Empty;

            // O_NOCTTY: it must become the child's controlling terminal, never ours.
            slave = Libc.Open(name, Libc.ORdwr | Spawn.ONoctty | Libc.OCloexec);
            if (slave < 0)
            {
                throw NativeError($"opening {name}", Marshal.GetLastPInvokeError());
            }

            slave = AboveStdio(slave);
            DisableEcho(slave);
            return (master, slave, name);
        }
        catch
        {
            CloseIfOpen(slave);
            CloseIfOpen(master);
            throw;
        }
    }

    /// <summary>Echo off: a password written to the master must not come back as terminal output.</summary>
    private static unsafe void DisableEcho(int slave)
    {
        byte* termios = stackalloc byte[Spawn.TermiosBufferSize];
        new Span<byte>(termios, Spawn.TermiosBufferSize).Clear();
        if (Spawn.TcGetAttr(slave, termios) != 0)
        {
            throw NativeError("reading the pseudo-terminal's settings", Marshal.GetLastPInvokeError());
        }

        uint* localFlags = (uint*)(termios + Spawn.TermiosLflagOffset);
        *localFlags &= ~(Spawn.Echo | Spawn.Echonl);
        if (Spawn.TcSetAttr(slave, Spawn.Tcsanow, termios) != 0)
        {
            throw NativeError("turning the pseudo-terminal's echo off", Marshal.GetLastPInvokeError());
        }
    }

    private static unsafe int SpawnChild(string fileName, string path, List<string> argv, List<string> envp, int stdinRead, int stdoutWrite, int stderrWrite, string? terminalName, bool setsid)
    {
        void* attributes = NativeMemory.AllocZeroed(Spawn.SpawnAttributesSize);
        void* actions = NativeMemory.AllocZeroed(Spawn.FileActionsSize);
        void* signals = NativeMemory.AllocZeroed(Spawn.SigsetSize);
        byte** paths = ToNativeArray(terminalName is null ? [path] : [path, terminalName]);
        byte** nativeArgv = ToNativeArray(argv);
        byte** nativeEnvp = ToNativeArray(envp);
        bool attributesReady = false;
        bool actionsReady = false;
        try
        {
            Check(Spawn.SpawnAttrInit(attributes), "posix_spawnattr_init");
            attributesReady = true;
            Check(Spawn.FileActionsInit(actions), "posix_spawn_file_actions_init");
            actionsReady = true;

            // No blocked signals, and SIGPIPE back to default: the runtime ignores it, and an
            // ignored signal stays ignored across exec. Signals a user deliberately ignored (nohup)
            // stay ignored, as they would for a shell's children.
            _ = Spawn.SigEmptySet(signals);
            Check(Spawn.SpawnAttrSetSigMask(attributes, signals), "posix_spawnattr_setsigmask");
            _ = Spawn.SigAddSet(signals, Spawn.Sigpipe);
            Check(Spawn.SpawnAttrSetSigDefault(attributes, signals), "posix_spawnattr_setsigdefault");

            // glibc runs setsid in the child before the file actions, so the open below, the first
            // of a tty by a session leader without one and without O_NOCTTY, makes it the session's
            // controlling terminal. EINVAL here means a glibc older than 2.26.
            short flags = (short)(Spawn.PosixSpawnSetSigMask | Spawn.PosixSpawnSetSigDefault | (setsid ? Spawn.PosixSpawnSetSid : 0));
            Check(Spawn.SpawnAttrSetFlags(attributes, flags), "posix_spawnattr_setflags");

            Check(Spawn.FileActionsAddDup2(actions, stdinRead, 0), "posix_spawn_file_actions_adddup2");
            Check(Spawn.FileActionsAddDup2(actions, stdoutWrite, 1), "posix_spawn_file_actions_adddup2");
            Check(Spawn.FileActionsAddDup2(actions, stderrWrite, 2), "posix_spawn_file_actions_adddup2");
            AddCloseFrom(actions, 3);
            if (terminalName is not null)
            {
                Check(Spawn.FileActionsAddOpen(actions, 3, paths[1], Libc.ORdwr, 0), "posix_spawn_file_actions_addopen");
                Check(Spawn.FileActionsAddClose(actions, 3), "posix_spawn_file_actions_addclose");
            }

            int pid;
            int error = Spawn.PosixSpawn(&pid, paths[0], actions, attributes, nativeArgv, nativeEnvp);
            return error == 0 ? pid : throw StartError(fileName, path, error);
        }
        finally
        {
            if (actionsReady)
            {
                _ = Spawn.FileActionsDestroy(actions);
            }

            if (attributesReady)
            {
                _ = Spawn.SpawnAttrDestroy(attributes);
            }

            NativeMemory.Free(attributes);
            NativeMemory.Free(actions);
            NativeMemory.Free(signals);
            NativeMemory.Free(paths);
            NativeMemory.Free(nativeArgv);
            NativeMemory.Free(nativeEnvp);
        }
    }

    /// <summary>
    /// Closes every fd from <paramref name="from"/> up in the child. O_CLOEXEC already covers ours;
    /// this also covers fds our own parent leaked into us without it (test runners and CI agents do).
    /// glibc before 2.34 lacks it, and there we rely on O_CLOEXEC alone.
    /// </summary>
    private static unsafe void AddCloseFrom(void* actions, int from)
    {
        try
        {
            Check(Spawn.FileActionsAddCloseFrom(actions, from), "posix_spawn_file_actions_addclosefrom_np");
        }
        catch (EntryPointNotFoundException)
        {
        }
    }

    /// <summary>One allocation: a NULL-terminated pointer array followed by the NUL-terminated UTF-8 strings.</summary>
    private static unsafe byte** ToNativeArray(IReadOnlyList<string> values)
    {
        int pointerBytes = (values.Count + 1) * sizeof(nint);
        int total = pointerBytes;
        foreach (string value in values)
        {
            total += Encoding.UTF8.GetByteCount(value) + 1;
        }

        byte* block = (byte*)NativeMemory.AllocZeroed((nuint)total);
        byte** pointers = (byte**)block;
        byte* next = block + pointerBytes;
        for (int i = 0; i < values.Count; i++)
        {
            pointers[i] = next;
            int length = Encoding.UTF8.GetBytes(values[i], new Span<byte>(next, total - (int)(next - block)));
            next[length] = 0;
            next += length + 1;
        }

        pointers[values.Count] = null;
        return pointers;
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
        {
            throw NativeError(call, error);
        }
    }

    private static Win32Exception NativeError(string what, int error) =>
        new(error, $"{what} failed: {Marshal.GetPInvokeErrorMessage(error)}");

    private static Win32Exception StartError(string fileName, string path, int error)
    {
        string shown = fileName == path ? $"'{fileName}'" : $"'{fileName}' ({path})";
        string message = error switch
        {
            Spawn.Enoent when fileName.Contains('/', StringComparison.Ordinal) && !File.Exists(path) => $"'{fileName}' does not exist.",
            Spawn.Enoent => $"{shown} could not be started: it or its interpreter (#! line or ELF loader) does not exist.",
            Spawn.Eacces => $"{shown} could not be started: permission denied (not executable, or on a noexec mount).",
            Spawn.Enoexec => $"{shown} could not be started: it is not a program this system can run (a script without a #! line, or another architecture's binary).",
            _ => $"{shown} could not be started: {Marshal.GetPInvokeErrorMessage(error)}.",
        };
        return new Win32Exception(error, message);
    }

    private static void CloseIfOpen(int fd)
    {
        if (fd >= 0)
        {
            _ = Libc.Close(fd);
        }
    }

    /// <summary>
    /// The pseudo-terminal master. Not a FileStream: Linux fails reads on a master with EIO once no
    /// process has the slave open, which FileStream would throw and this reads as end of stream; and
    /// Stream's default async methods would queue a write behind a pending read, so a password could
    /// not be sent while a read waits for the next prompt.
    /// </summary>
    private sealed class TerminalStream : Stream
    {
        private readonly SafeFileHandle _handle;

        public TerminalStream(SafeFileHandle handle) => _handle = handle;

        public override bool CanRead => !_handle.IsClosed;

        public override bool CanWrite => !_handle.IsClosed;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            ValidateBufferArguments(buffer, offset, count);
            return Read(buffer.AsSpan(offset, count));
        }

        public override unsafe int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0;
            }

            bool added = false;
            try
            {
                // The reference keeps Dispose from closing (and the fd number from being reused)
                // while the read is in the kernel.
                _handle.DangerousAddRef(ref added);
                int fd = (int)_handle.DangerousGetHandle();
                fixed (byte* bytes = buffer)
                {
                    while (true)
                    {
                        nint count = Libc.Read(fd, bytes, (nuint)buffer.Length);
                        if (count >= 0)
                        {
                            return (int)count;
                        }

                        int error = Marshal.GetLastPInvokeError();
                        if (error == Spawn.Eio)
                        {
                            return 0;
                        }

                        if (error != Libc.Eintr)
                        {
                            throw new IOException($"Reading the terminal failed: {Marshal.GetPInvokeErrorMessage(error)}", error);
                        }
                    }
                }
            }
            finally
            {
                if (added)
                {
                    _handle.DangerousRelease();
                }
            }
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            ValidateBufferArguments(buffer, offset, count);
            Write(buffer.AsSpan(offset, count));
        }

        public override unsafe void Write(ReadOnlySpan<byte> buffer)
        {
            bool added = false;
            try
            {
                _handle.DangerousAddRef(ref added);
                int fd = (int)_handle.DangerousGetHandle();
                fixed (byte* bytes = buffer)
                {
                    int written = 0;
                    while (written < buffer.Length)
                    {
                        nint count = Libc.Write(fd, bytes + written, (nuint)(buffer.Length - written));
                        if (count >= 0)
                        {
                            written += (int)count;
                            continue;
                        }

                        int error = Marshal.GetLastPInvokeError();
                        if (error != Libc.Eintr)
                        {
                            throw new IOException($"Writing to the terminal failed: {Marshal.GetPInvokeErrorMessage(error)}", error);
                        }
                    }
                }
            }
            finally
            {
                if (added)
                {
                    _handle.DangerousRelease();
                }
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ValidateBufferArguments(buffer, offset, count);
            return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        }

        /// <summary>
        /// Waits on its own thread (a prompt can take long). Cancellation wakes the wait through a
        /// pipe and nothing has been read by then, so no terminal output is lost to a cancelled read.
        /// </summary>
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<int>(cancellationToken);
            }

            return new ValueTask<int>(Task.Factory.StartNew(
                () => ReadCancellable(buffer, cancellationToken),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default));
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            ValidateBufferArguments(buffer, offset, count);
            return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        }

        /// <summary>Synchronous: what goes this way is a password line, far below the pty's buffer.</summary>
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(cancellationToken);
            }

            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _handle.Dispose();
            }

            base.Dispose(disposing);
        }

        private unsafe int ReadCancellable(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled)
            {
                return Read(buffer.Span);
            }

            (int wakeRead, int wakeWrite) = Libc.Pipe();
            try
            {
                // Disposing the registration waits for a running callback, so the write end is
                // never written after it is closed.
                using (cancellationToken.UnsafeRegister(static state => WakeUp((int)state!), wakeWrite))
                {
                    bool added = false;
                    try
                    {
                        _handle.DangerousAddRef(ref added);
                        PollFd* fds = stackalloc PollFd[2];
                        while (true)
                        {
                            fds[0] = new PollFd { Fd = (int)_handle.DangerousGetHandle(), Events = Libc.PollIn };
                            fds[1] = new PollFd { Fd = wakeRead, Events = Libc.PollIn };
                            int ready = Libc.Poll(fds, 2, -1);
                            if (ready < 0)
                            {
                                int error = Marshal.GetLastPInvokeError();
                                if (error == Libc.Eintr)
                                {
                                    continue;
                                }

                                throw new IOException($"Waiting on the terminal failed: {Marshal.GetPInvokeErrorMessage(error)}", error);
                            }

                            cancellationToken.ThrowIfCancellationRequested();

                            // Data, or a hang-up (POLLHUP/POLLERR) that the read turns into EIO, then 0.
                            if (fds[0].Revents != 0)
                            {
                                return Read(buffer.Span);
                            }
                        }
                    }
                    finally
                    {
                        if (added)
                        {
                            _handle.DangerousRelease();
                        }
                    }
                }
            }
            finally
            {
                _ = Libc.Close(wakeRead);
                _ = Libc.Close(wakeWrite);
            }
        }

        private static unsafe void WakeUp(int fd)
        {
            byte one = 1;
            _ = Libc.Write(fd, &one, 1);
        }
    }
}
