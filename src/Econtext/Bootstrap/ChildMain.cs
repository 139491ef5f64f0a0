using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Econtext.Forwarding;
using Econtext.Loading;
using Econtext.Native;
using Microsoft.Win32.SafeHandles;

namespace Econtext.Bootstrap;

/// <summary>
/// The core's entry point in a child, called by the stage-1 loader once the core is loaded (by
/// metadata token, through its entry point: keep the signature in step with the loader's call).
/// Deletes the files stage 0 staged the loader in, reads the rest of the preamble, moves the
/// protocol off fds 0 and 1, captures fds 1 and 2, and runs the router until the parent says
/// SHUTDOWN, SIGTERM arrives, or the parent's pipe closes; then unwinds the calls still running.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresUnreferencedCode(AotNotes.Child)]
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(AotNotes.Child)]
internal static class ChildMain
{
    private static readonly TimeSpan s_flushTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long an exiting context waits for its running calls to return once their tokens are
    /// cancelled and their channels ended. A method that heeds either unwinds in milliseconds (its
    /// finally blocks delete a temporary file, close what it opened); one that ignores both must not
    /// keep a dying context alive, and the parent kills a child that takes longer than its
    /// ShutdownGracePeriod (5 s by default) over unwinding, its own children and its output, and
    /// a killed child cleans up nothing. 2 s leaves room for the rest within that.
    /// </summary>
    private static readonly TimeSpan s_callUnwindBound = TimeSpan.FromSeconds(2);

    public static int Run(int coreFd, string? stagedFiles)
    {
        NativeLibrary.SetDllImportResolver(typeof(ChildMain).Assembly, Libc.Resolve);
        RuntimeDiagnostics.RestoreEnvironment();
        if (stagedFiles is not null)
        {
            // Stage 0 wrote PREFIX.dll and PREFIX.json; the runtime has both open or mapped by now.
            // Failing to remove them must not stop the start: they are private to this process.
            _ = Libc.Unlink(stagedFiles + ".dll");
            _ = Libc.Unlink(stagedFiles + ".json");
        }

        var input = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
        (ChildConfig config, List<(string Name, byte[] Image)> dependencies) = Preamble.Read(input);
        var resolver = new ChildAssemblyResolver();
        foreach ((string name, byte[] image) in dependencies)
        {
            resolver.Add(name, image);
        }

        // Before anything touches a type from the core's dependencies.
        resolver.Install();
        Preamble.UseChildImages(() => ReadMemoryFile(coreFd), dependencies);
        return RunRouter(config, resolver);
    }

    /// <summary>
    /// Lets what was printed reach the master before the pipe to it closes. A method of its own so
    /// that starting <see cref="RunRouter"/> does not load System.Console for a child that never prints.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void FlushConsole()
    {
        try
        {
            Console.Out.Flush();
            Console.Error.Flush();
        }
        catch (IOException)
        {
        }
    }

    private static byte[] ReadMemoryFile(int fd)
    {
        using var file = new FileStream(new SafeFileHandle(fd, ownsHandle: false), FileAccess.Read, bufferSize: 0);
        byte[] bytes = new byte[file.Length];
        RandomAccess.Read(file.SafeFileHandle, bytes, 0);
        return bytes;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int RunRouter(ChildConfig config, ChildAssemblyResolver resolver)
    {
        // The protocol moves to private descriptors; fd 0 becomes /dev/null and fds 1 and 2 become
        // pipes we read, so nothing user code or its processes print can corrupt the protocol.
        int protocolIn = Libc.DupCloexec(0);
        int protocolOut = Libc.DupCloexec(1);

        // A 64 KiB pipe turns each 1 MiB message into 16 writer/reader wake-ups; ask for 1 MiB (the
        // unprivileged maximum by default). Not a pipe (a socket, a tty): nothing happens.
        _ = Libc.Fcntl(protocolIn, Libc.FSetPipeSize, 1 << 20);
        _ = Libc.Fcntl(protocolOut, Libc.FSetPipeSize, 1 << 20);
        int devNull = Libc.Open("/dev/null", Libc.ORdwr | Libc.OCloexec);
        Libc.Dup2OrThrow(devNull, 0);
        (int stdoutRead, int stdoutWrite) = Libc.Pipe();
        (int stderrRead, int stderrWrite) = Libc.Pipe();
        Libc.Dup2OrThrow(stdoutWrite, 1);
        Libc.Dup2OrThrow(stderrWrite, 2);
        Libc.Close(stdoutWrite);
        Libc.Close(stderrWrite);

        var parentInput = new FileStream(new SafeFileHandle(protocolIn, ownsHandle: true), FileAccess.Read, bufferSize: 0);
        var parentOutput = new FileStream(new SafeFileHandle(protocolOut, ownsHandle: true), FileAccess.Write, bufferSize: 0);
        var router = new Router(config, parentInput, parentOutput, resolver);
        router.Child!.StartChild(Environment.ProcessId);

        // The rest of the start overlaps with the parent preparing its first call, which needs a
        // pool thread first (starting one costs this machine a few milliseconds). Until the handler
        // below is registered, a SIGTERM simply ends the process, which the parent reports as such.
        ThreadPool.UnsafeQueueUserWorkItem(static _ => { }, null);
        var stdout = new StdioForwarder(router, stdoutRead, RemoteOutput.StdoutStream);
        var stderr = new StdioForwarder(router, stderrRead, RemoteOutput.StderrStream);
        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            router.Child!.RequestChildExit("SIGTERM");
        });

        string reason = router.Child!.WaitForChildExit();
        bool parentGone = reason.StartsWith("the parent is gone", StringComparison.Ordinal);

        // Whatever the reason (SHUTDOWN, SIGTERM, the parent gone): the calls running here unwind
        // first, so nothing they were writing is left half done; with a parent, it hears their end.
        router.Child!.UnwindCalls(s_callUnwindBound);
        if (!parentGone)
        {
            // Our own children go first, so the master hears of each of them before of us.
            router.Child!.ShutDownChildren();

            FlushConsole();
            stdout.Drain(s_flushTimeout);
            stderr.Drain(s_flushTimeout);
        }

        router.Child!.StopChild();
        Environment.Exit(0);
        return 0;
    }
}
