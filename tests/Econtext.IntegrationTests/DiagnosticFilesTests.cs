namespace Econtext.IntegrationTests;

/// <summary>
/// A context leaves nothing on the target's disk: the runtime's diagnostic IPC endpoints
/// (dotnet-diagnostic-PID-*-socket, clr-debug-pipe-PID-*-in/-out in the temp directory) are never
/// made, so a SIGKILL or an OOM kill cannot leave them behind either. Whoever wants them sets
/// DOTNET_EnableDiagnostics in the target's environment.
/// </summary>
public sealed class DiagnosticFilesTests
{
    [Fact(Timeout = 60000)]
    public async Task A_context_makes_no_diagnostic_files_and_a_SIGKILL_leaves_none()
    {
        await using var router = new Router();
        Context context = await router.LocalAsync(new LocalOptions { Name = "no-diagnostics" }).WaitAsync(Bound);
        int pid = context.RemoteProcessId;

        Assert.Empty(DiagnosticFiles(pid));

        System.Diagnostics.Process.GetProcessById(pid).Kill();
        Assert.True(await ProcessWatch.WaitForExitAsync(pid, Bound), "the context outlived SIGKILL");
        Assert.Empty(DiagnosticFiles(pid));
    }

    [Fact(Timeout = 60000)]
    public async Task Processes_a_context_starts_see_the_environment_the_context_was_given()
    {
        await using var router = new Router();
        Context plain = await router.LocalAsync(new LocalOptions { Name = "plain-env" }).WaitAsync(Bound);
        Assert.Equal("(unset)", await plain.CallAsync(() => ChildProcesses.EnvironmentOfStartedProcessAsync("DOTNET_EnableDiagnostics")).WaitAsync(Bound));

        // Set by the user: kept, in the context (the runtime honours it) and in what it starts.
        Context debuggable = await router.LocalAsync(new LocalOptions
        {
            Name = "debuggable",
            Environment = new Dictionary<string, string> { ["DOTNET_EnableDiagnostics"] = "1" },
        }).WaitAsync(Bound);
        Assert.Equal("1", await debuggable.CallAsync(() => ChildProcesses.EnvironmentOfStartedProcessAsync("DOTNET_EnableDiagnostics")).WaitAsync(Bound));
        Assert.NotEmpty(DiagnosticFiles(debuggable.RemoteProcessId));
        await debuggable.ShutdownAsync().WaitAsync(Bound);
    }

    private static string[] DiagnosticFiles(int pid)
    {
        string temp = Environment.GetEnvironmentVariable("TMPDIR") is { Length: > 0 } t ? t : "/tmp";
        return [.. Directory.EnumerateFileSystemEntries(temp, $"dotnet-diagnostic-{pid}-*"), .. Directory.EnumerateFileSystemEntries(temp, $"clr-debug-pipe-{pid}-*")];
    }
}
