namespace Econtext.TransportTests;

/// <summary>
/// A context over ssh writes none of the runtime's diagnostic IPC files (dotnet-diagnostic-PID-*,
/// clr-debug-pipe-PID-*) to the target's temp directory, so a SIGKILL there leaves none behind.
/// </summary>
public sealed class SshDiagnosticFilesTests(TestHosts hosts, ITestOutputHelper output) : TransportTest(hosts, output)
{
    [Fact(Timeout = 60000)]
    public async Task An_ssh_context_makes_no_diagnostic_files_and_a_SIGKILL_leaves_none()
    {
        await using var router = new Router();
        Context web = await StartAsync(() => router.SshAsync(Hosts.Ssh(Hosts.Key) with { Name = "no-diagnostics" }), "ssh context");
        int pid = web.RemoteProcessId;
        Assert.Equal(5, await web.CallAsync(() => Probe.Add(2, 3)).WaitAsync(Bound));

        Assert.Empty(DiagnosticFiles(pid));

        Processes.Signal(pid, Processes.SigKill);
        long deadline = Environment.TickCount64 + (long)Bound.TotalMilliseconds;
        while (Processes.IsRunning(pid))
        {
            Assert.True(Environment.TickCount64 < deadline, $"the context (pid {pid}) outlived SIGKILL");
            await Task.Delay(20);
        }

        Assert.Empty(DiagnosticFiles(pid));
    }

    /// <summary>The target is this machine, and sshd gives the login no TMPDIR: the runtime would use /tmp.</summary>
    private static string[] DiagnosticFiles(int pid) =>
        [.. Directory.EnumerateFileSystemEntries("/tmp", $"dotnet-diagnostic-{pid}-*"), .. Directory.EnumerateFileSystemEntries("/tmp", $"clr-debug-pipe-{pid}-*")];
}
