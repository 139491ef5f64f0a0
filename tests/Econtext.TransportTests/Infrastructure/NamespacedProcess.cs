using System.Diagnostics;
using System.Globalization;

namespace Econtext.TransportTests.Infrastructure;

/// <summary>
/// A process in namespaces of its own, for nsenter to enter: <c>unshare --mount --pid --uts --ipc
/// --net --fork --mount-proc</c> runs a shell that sets the host name, says it is ready and becomes
/// <c>sleep infinity</c>, which is pid 1 of the new pid namespace. Disposing kills it (SIGKILL to pid
/// 1 of a pid namespace ends every process in it) and unshare, and waits until they are gone.
/// </summary>
public sealed class NamespacedProcess : IAsyncDisposable
{
    private const string Ready = "econtext-ns-ready";
    private readonly Process _unshare;

    private NamespacedProcess(Process unshare, string hostName)
    {
        _unshare = unshare;
        HostName = hostName;
    }

    /// <summary>The unshare process, in the test's namespaces.</summary>
    public int UnsharePid => _unshare.Id;

    /// <summary>The sleep (as this test's pid namespace numbers it): the process to enter.</summary>
    public int Pid { get; private set; }

    /// <summary>The host name set in its UTS namespace.</summary>
    public string HostName { get; }

    /// <summary>Starts it and returns once the shell inside has set the host name and is about to exec sleep.</summary>
    public static async Task<NamespacedProcess> StartAsync(TimeSpan timeout)
    {
        string hostName = "ectns-" + Guid.NewGuid().ToString("N")[..8];
        var start = new ProcessStartInfo("/usr/bin/unshare")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["--mount", "--pid", "--uts", "--ipc", "--net", "--fork", "--mount-proc", "/bin/sh", "-c", $"hostname {hostName} && echo {Ready} && exec sleep infinity"])
        {
            start.ArgumentList.Add(argument);
        }

        var process = new NamespacedProcess(Process.Start(start)!, hostName);
        try
        {
            Task<string> stderr = process._unshare.StandardError.ReadToEndAsync();
            string? line = await process._unshare.StandardOutput.ReadLineAsync().WaitAsync(timeout);
            if (line != Ready)
            {
                throw new InvalidOperationException($"unshare did not start a namespaced process: stdout \"{line}\", stderr: {await stderr.WaitAsync(timeout)}");
            }

            // unshare --fork: its only child is the shell, which now execs sleep (same pid).
            string children = await File.ReadAllTextAsync($"/proc/{process._unshare.Id}/task/{process._unshare.Id}/children");
            process.Pid = int.Parse(children.Trim(), CultureInfo.InvariantCulture);
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>readlink /proc/PID/ns/KIND of the namespaced process.</summary>
    public string Namespace(string kind) => NamespaceOf(Pid, kind);

    public static string NamespaceOf(int pid, string kind) => Processes.Namespace(pid, kind) ?? "?";

    /// <summary>Host pids of the processes in its pid namespace other than the sleep itself (running ones).</summary>
    public List<int> Others() => Processes.OthersInPidNamespaceOf(Pid).Where(Processes.IsRunning).ToList();

    public async ValueTask DisposeAsync()
    {
        if (Pid > 0)
        {
            Processes.Signal(Pid, Processes.SigKill);
        }

        if (!_unshare.HasExited)
        {
            _unshare.Kill();
        }

        await _unshare.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        if (Pid > 0)
        {
            await Processes.WaitGoneAsync([Pid], TimeSpan.FromSeconds(10));
        }

        _unshare.Dispose();
    }
}
