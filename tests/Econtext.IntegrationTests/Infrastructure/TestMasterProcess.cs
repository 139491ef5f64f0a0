namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>
/// Econtext.TestMaster run as a process of its own, for a test to SIGKILL: started with some
/// arguments, it reports the pids of its child and grandchild. Disposing kills whatever is left.
/// </summary>
public sealed class TestMasterProcess : IDisposable
{
    private readonly MasterProcess _run;

    private TestMasterProcess(MasterProcess run) => _run = run;

    public int ChildPid => _run.Pid("CHILD_PID");

    public int GrandchildPid => _run.Pid("GRANDCHILD_PID");

    public string Stderr => _run.Stderr;

    /// <summary>Starts the master and returns once it has printed both pids.</summary>
    public static async Task<TestMasterProcess> StartAsync(TimeSpan timeout, params string[] arguments) =>
        new(await MasterProcess.StartAsync(TestMasterLocator.DotnetHost(), TestMasterLocator.DllPath(), arguments, null, ["CHILD_PID", "GRANDCHILD_PID"], timeout, killReported: true));

    /// <summary>SIGKILL: the master gets no chance to clean up. Returns once it has exited.</summary>
    public Task KillAsync(TimeSpan timeout) => _run.KillAsync(timeout);

    public void Dispose() => _run.Dispose();
}
