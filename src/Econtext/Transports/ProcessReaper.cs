using System.ComponentModel;
using System.Runtime.InteropServices;
using Econtext.Native;

namespace Econtext.Transports;

/// <summary>
/// Reaps one child of ours and is the only way to signal it. The two belong together: a pid can be
/// recycled the moment it is reaped, so only the reaper knows when signalling it stops being safe.
/// The pidfd it holds until then takes signals to this process and never to a recycled pid.
/// </summary>
internal sealed class ProcessReaper : IPolledDescriptor
{
    private const int ReaperStackSize = 256 * 1024;

    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<int> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action? _onReaped;
    private int _pidfd;
    private bool _reaped;

    /// <summary>
    /// Opens the pidfd at once, while <paramref name="processId"/> still names our child (a zombie at
    /// worst, since nothing reaps it before <see cref="Start"/>). <paramref name="onReaped"/> runs
    /// once the process has been reaped, before <see cref="Exit"/> completes.
    /// </summary>
    public ProcessReaper(int processId, Action? onReaped)
    {
        ProcessId = processId;
        _pidfd = Spawn.PidfdOpen(processId);
        _onReaped = onReaped;
    }

    public int ProcessId { get; }

    /// <summary>
    /// Completes with the exit code, 128 + the signal if a signal ended it (as Process reports it),
    /// or <see cref="SpawnedProcess.UnknownExitCode"/> if someone else reaped it and the status is lost.
    /// </summary>
    public Task<int> Exit => _exit.Task;

    /// <summary>The pidfd, which stays open until the process has been reaped, which only <see cref="IPolledDescriptor.OnReady"/> does then.</summary>
    int IPolledDescriptor.Descriptor => _pidfd;

    /// <summary>
    /// Starts waiting for the process to end. The shared poller thread polls the pidfd, which turns
    /// readable the moment the child dies, and then reaps it; without a pidfd a thread of our own
    /// blocks in waitpid(pid). .NET's SIGCHLD handling reaps only the pids
    /// System.Diagnostics.Process started and leaves ours alone, except when .NET is pid 1 (then it
    /// reaps every child) or SIGCHLD was ignored when it started (then the kernel reaps them).
    /// waitpid then fails with ECHILD, and the status comes from the pidfd instead (see
    /// <see cref="StatusReapedElsewhere"/>).
    /// </summary>
    public void Start()
    {
        if (_pidfd < 0 || !DescriptorPoller.TryWatch(this))
        {
            var reaper = new Thread(Reap, ReaperStackSize) { IsBackground = true, Name = $"Econtext reaper {ProcessId}" };
            reaper.UnsafeStart();
        }
    }

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

    /// <summary>The reaper of a process without a pidfd: a thread of its own, blocked in waitpid.</summary>
    private void Reap()
    {
        while (!TryReap(0))
        {
        }
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
            Libc.CloseIfOpen(_pidfd);
            _pidfd = -1;
            _onReaped?.Invoke();
        }

        _exit.TrySetResult(code);
    }

    /// <summary>
    /// After ECHILD: .NET (as pid 1) or the kernel (SIGCHLD ignored) reaped the process first; see
    /// <see cref="Start"/>. Kernels from 6.15 keep its status for the pidfd. Whoever reaped it records
    /// the status just after making it unwaitable, so it may take a moment; the spin is bounded.
    /// Without a pidfd (an old kernel, or a child reaped before we could open one) it is lost.
    /// </summary>
    private int StatusReapedElsewhere()
    {
        if (_pidfd < 0)
        {
            return SpawnedProcess.UnknownExitCode;
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

        return SpawnedProcess.UnknownExitCode;
    }
}
