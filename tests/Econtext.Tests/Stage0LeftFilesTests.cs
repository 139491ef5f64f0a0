using System.Diagnostics;
using Econtext.Bootstrap;

namespace Econtext.Tests;

/// <summary>
/// A start killed before the core deleted stage 0's two files leaves them behind. The next stage 0
/// in that directory removes those whose process is gone, and those under its own pid, which with
/// pids reused (32768 of them here) it would otherwise meet and could not write over (noclobber):
/// with such files in /dev/shm and /tmp both, the start failed with "exited with code 1".
/// Real processes: stage 0 under /bin/sh, then the runtime running the loader.
/// </summary>
public sealed class Stage0LeftFilesTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("econtext-left-").FullName;

    [Fact(Timeout = 60_000)]
    public async Task Files_left_under_this_shells_own_pid_are_replaced_not_fled()
    {
        // The shell waits for a line before it becomes stage 0, so its pid is known (and the files
        // planted) before stage 0 runs under that same pid.
        using Process shell = Start("read -r x;exec /bin/sh -c \"$1\"", Stage0.Build(dotnetPath: null));
        string prefix = Path.Combine(_dir, $"econtext.{shell.Id}");
        await File.WriteAllTextAsync(prefix + ".dll", "left by a killed start");
        await File.WriteAllTextAsync(prefix + ".json", "left by a killed start");

        await shell.StandardInput.WriteLineAsync("go");
        await shell.StandardInput.FlushAsync();
        Assert.Equal(Stage0.ReadyMarker, await shell.StandardOutput.ReadLineAsync().WaitAsync(Bound));

        // Stage 0 wrote the loader here, over the left file, rather than moving on to /dev/shm.
        Assert.NotEqual("left by a killed start", await File.ReadAllTextAsync(prefix + ".json"));
        await EndAsync(shell);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact(Timeout = 60_000)]
    public async Task Files_left_by_a_process_that_is_gone_are_removed_and_a_live_ones_kept()
    {
        int gone = await GonePidAsync();
        string left = Path.Combine(_dir, $"econtext.{gone}");
        await File.WriteAllTextAsync(left + ".dll", "left");
        await File.WriteAllTextAsync(left + ".json", "left");

        // A live process's files (a start under way) are not touched.
        string live = Path.Combine(_dir, $"econtext.{Environment.ProcessId}");
        await File.WriteAllTextAsync(live + ".dll", "starting");
        string other = Path.Combine(_dir, "econtext.notapid.dll");
        await File.WriteAllTextAsync(other, "not ours to judge");

        using Process stage0 = Start("exec /bin/sh -c \"$1\"", Stage0.Build(dotnetPath: null));
        Assert.Equal(Stage0.ReadyMarker, await stage0.StandardOutput.ReadLineAsync().WaitAsync(Bound));

        Assert.False(File.Exists(left + ".dll"), "the gone process's .dll is still there");
        Assert.False(File.Exists(left + ".json"), "the gone process's .json is still there");
        Assert.True(File.Exists(live + ".dll"), "a live process's file was removed");
        Assert.True(File.Exists(other), "a file not named by a pid was removed");
        await EndAsync(stage0);
        Assert.Equal([live + ".dll", other], Directory.GetFiles(_dir).Order(StringComparer.Ordinal));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The pid of a process that has ended (and been reaped).</summary>
    private static async Task<int> GonePidAsync()
    {
        using Process done = Process.Start("/bin/true")!;
        await done.WaitForExitAsync().WaitAsync(Bound);
        Assert.False(Directory.Exists($"/proc/{done.Id}"), "the pid was taken again at once; run again");
        return done.Id;
    }

    private Process Start(string shellScript, string stage0)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(shellScript);
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(stage0);
        start.Environment["XDG_RUNTIME_DIR"] = _dir;
        return Process.Start(start)!;
    }

    /// <summary>The parent leaves before the preamble: the loader deletes the files stage 0 staged and exits.</summary>
    private static async Task EndAsync(Process stage0)
    {
        Task<string> errors = stage0.StandardError.ReadToEndAsync();
        stage0.StandardInput.Close();
        await stage0.WaitForExitAsync().WaitAsync(Bound);
        Assert.True(stage0.ExitCode == 0, $"exit code {stage0.ExitCode}; stderr: {await errors}");
    }
}
