using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>
/// A tmpfs mounted for one test, for file systems that fail the way real disks do (full, read-only)
/// even for root. Needs root, as CI has; without it, or if mount is refused, the test fails saying so.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string path) => Path = path;

    public string Path { get; }

    /// <summary>Creates <paramref name="path"/> and mounts a tmpfs with <paramref name="options"/> on it (e.g. <c>size=1m</c>).</summary>
    public static Tmpfs Mount(string path, string options)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            string uid = Command.Run("/usr/bin/id", "-u").Output.Trim();
            Assert.Fail($"this test mounts a tmpfs and needs root (CI runs the tests as root); this process runs as uid {uid}");
        }

        Directory.CreateDirectory(path);
        (int code, string output) = Command.Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", path);
        if (code != 0)
        {
            Assert.Fail($"mount -t tmpfs -o {options} tmpfs {path} failed (exit {code}), although this process is root: {output.Trim()}. "
                + "The test needs a tmpfs to fill up or make read-only; a container needs CAP_SYS_ADMIN for that.");
        }

        return new Tmpfs(path);
    }

    /// <summary>The same mount, read-only from now on: writes fail with EROFS, for root too.</summary>
    public void RemountReadOnly()
    {
        (int code, string output) = Command.Run("mount", "-o", "remount,ro", Path);
        Assert.True(code == 0, $"mount -o remount,ro {Path} failed (exit {code}): {output.Trim()}");
    }

    public void Dispose()
    {
        // A file left open on it (a leak the test may be reporting) makes umount say "busy": detach
        // it lazily then, so the test run never leaves a mount behind.
        if (Command.Run("umount", Path).Code != 0)
        {
            Command.Run("umount", "-l", Path);
        }
    }
}

/// <summary>Short external commands (mount, umount, id), bounded.</summary>
public static class Command
{
    public static (int Code, string Output) Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            return (-1, $"{program} did not finish within 30 s");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>
/// Freezes a process with SIGSTOP (and thaws it with SIGCONT on dispose), so a test can change a
/// file while a copy is provably in flight: a stopped context returns no credit, so its peer cannot
/// get more than the credit window ahead of it.
/// </summary>
public sealed partial class Frozen : IDisposable
{
    private const int SigCont = 18;
    private const int SigStop = 19;
    private readonly int _pid;

    private Frozen(int pid) => _pid = pid;

    /// <summary>Stops <paramref name="pid"/> and returns once every thread of it is stopped.</summary>
    public static async Task<Frozen> StopAsync(int pid, TimeSpan timeout)
    {
        Assert.True(Kill(pid, SigStop) == 0, $"kill(SIGSTOP) on {pid} failed: errno {Marshal.GetLastPInvokeError()}");
        var frozen = new Frozen(pid);
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!AllThreadsStopped(pid))
        {
            if (Environment.TickCount64 > deadline)
            {
                frozen.Dispose();
                Assert.Fail($"process {pid} was sent SIGSTOP but not all of its threads stopped within {timeout.TotalSeconds} s");
            }

            await Task.Delay(1); // poll interval only: the kernel offers no event for "stopped" to a non-parent
        }

        return frozen;
    }

    public void Dispose() => Kill(_pid, SigCont);

    private static bool AllThreadsStopped(int pid)
    {
        foreach (string task in Directory.EnumerateDirectories("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/task"))
        {
            try
            {
                string stat = File.ReadAllText(System.IO.Path.Combine(task, "stat"));
                char state = stat[stat.LastIndexOf(')') + 2];
                if (state is not ('T' or 't'))
                {
                    return false;
                }
            }
            catch (IOException)
            {
                // The thread exited meanwhile.
            }
        }

        return true;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>Waits for a condition on a directory's files, woken by inotify (FileSystemWatcher) events, never by a timer.</summary>
public static class DirectoryEvents
{
    /// <summary>
    /// Completes with the first file in <paramref name="directory"/> matching <paramref name="pattern"/>
    /// for which <paramref name="condition"/> holds; re-checked on every create, write and overflow event.
    /// </summary>
    public static async Task<string> WaitForFileAsync(string directory, string pattern, Func<FileInfo, bool> condition, TimeSpan timeout, Task? abandonIfDone = null)
    {
        using var wake = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(directory, pattern)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.LastWrite,
            InternalBufferSize = 64 * 1024,
        };
        watcher.Created += (_, _) => wake.Release();
        watcher.Changed += (_, _) => wake.Release();
        watcher.Error += (_, _) => wake.Release();
        watcher.EnableRaisingEvents = true;
        _ = abandonIfDone?.ContinueWith(_ => wake.Release(), TaskScheduler.Default);

        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            foreach (FileInfo file in new DirectoryInfo(directory).EnumerateFiles(pattern))
            {
                try
                {
                    if (condition(file))
                    {
                        return file.FullName;
                    }
                }
                catch (IOException)
                {
                    // Renamed or deleted while we looked.
                }
            }

            if (abandonIfDone is { IsCompleted: true })
            {
                Assert.Fail($"the transfer ended ({abandonIfDone.Status}) before a file matching {pattern} in {directory} met the condition: {abandonIfDone.Exception?.GetBaseException().Message}");
            }

            long left = deadline - Environment.TickCount64;
            if (left <= 0 || !await wake.WaitAsync(TimeSpan.FromMilliseconds(left)))
            {
                Assert.Fail($"no file matching {pattern} in {directory} met the condition within {timeout.TotalSeconds} s");
            }
        }
    }

    /// <summary>
    /// Waits until no file in <paramref name="directory"/> matches <paramref name="pattern"/>, re-checked
    /// on every delete and rename event; returns the names still there at the deadline (empty: all gone).
    /// </summary>
    public static async Task<string[]> WaitForNoFileAsync(string directory, string pattern, TimeSpan timeout)
    {
        using var wake = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(directory, pattern) { NotifyFilter = NotifyFilters.FileName, InternalBufferSize = 64 * 1024 };
        watcher.Deleted += (_, _) => wake.Release();
        watcher.Renamed += (_, _) => wake.Release();
        watcher.Error += (_, _) => wake.Release();
        watcher.EnableRaisingEvents = true;

        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            string[] left = new DirectoryInfo(directory).EnumerateFiles(pattern).Select(f => f.Name).ToArray();
            long remaining = deadline - Environment.TickCount64;
            if (left.Length == 0 || remaining <= 0 || !await wake.WaitAsync(TimeSpan.FromMilliseconds(remaining)))
            {
                return left.Length == 0 ? left : new DirectoryInfo(directory).EnumerateFiles(pattern).Select(f => f.Name).ToArray();
            }
        }
    }
}

/// <summary>What is left of a copy on disk and in processes: temporary files beside it, files held open.</summary>
public static class Leftovers
{
    /// <summary>Names in <paramref name="directory"/> that look like a copy's temporary file (<c>.NAME.econtext-xxxxxxxx</c>).</summary>
    public static string[] Temporaries(string directory) =>
        Directory.Exists(directory)
            ? Directory.GetFileSystemEntries(directory).Select(p => System.IO.Path.GetFileName(p)).Where(n => n.StartsWith('.') && n.Contains(".econtext-", StringComparison.Ordinal)).ToArray()
            : [];

    /// <summary>The paths process <paramref name="pid"/> holds open whose target starts with <paramref name="prefix"/>.</summary>
    public static string[] OpenFiles(int pid, string prefix)
    {
        var open = new List<string>();
        string fds = "/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/fd";
        foreach (string fd in Directory.EnumerateFileSystemEntries(fds))
        {
            try
            {
                string? target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith(prefix, StringComparison.Ordinal))
                {
                    open.Add(target);
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }

        return [.. open];
    }

    /// <summary>
    /// Waits (polling /proc, which has no change event) until <paramref name="pid"/> holds nothing open
    /// under <paramref name="prefix"/>; returns what it still holds at the deadline, or an empty array.
    /// </summary>
    public static async Task<string[]> OpenFilesAfterAsync(int pid, string prefix, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            string[] open = OpenFiles(pid, prefix);
            if (open.Length == 0 || Environment.TickCount64 > deadline)
            {
                return open;
            }

            await Task.Delay(10); // poll interval only
        }
    }
}
