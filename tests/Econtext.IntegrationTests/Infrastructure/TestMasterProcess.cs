using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Econtext.IntegrationTests.Infrastructure;

/// <summary>
/// Econtext.TestMaster run as a process of its own, for a test to SIGKILL: started with some
/// arguments, it reports the pids of its child and grandchild. Disposing kills whatever is left.
/// </summary>
public sealed class TestMasterProcess : IDisposable
{
    private readonly Process _master;
    private readonly StringBuilder _stderr = new();

    private TestMasterProcess(Process master) => _master = master;

    public int ChildPid { get; private set; }

    public int GrandchildPid { get; private set; }

    /// <summary>Starts the master and returns once it has printed both pids.</summary>
    public static async Task<TestMasterProcess> StartAsync(TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(TestMasterLocator.DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(TestMasterLocator.DllPath());
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var master = new TestMasterProcess(Process.Start(start)!);
        master._master.ErrorDataReceived += (_, e) =>
        {
            lock (master._stderr)
            {
                master._stderr.AppendLine(e.Data);
            }
        };
        master._master.BeginErrorReadLine();
        try
        {
            string? line;
            while (master.GrandchildPid == 0 && (line = await master._master.StandardOutput.ReadLineAsync().WaitAsync(timeout)) is not null)
            {
                if (line.StartsWith("CHILD_PID=", StringComparison.Ordinal))
                {
                    master.ChildPid = int.Parse(line["CHILD_PID=".Length..], CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("GRANDCHILD_PID=", StringComparison.Ordinal))
                {
                    master.GrandchildPid = int.Parse(line["GRANDCHILD_PID=".Length..], CultureInfo.InvariantCulture);
                }
            }

            Assert.True(master.ChildPid > 0 && master.GrandchildPid > 0, "the test master did not print both pids; its stderr: " + master.Stderr);
            return master;
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>SIGKILL: the master gets no chance to clean up. Returns once it has exited.</summary>
    public async Task KillAsync(TimeSpan timeout)
    {
        _master.Kill();
        await _master.WaitForExitAsync().WaitAsync(timeout);
    }

    public void Dispose()
    {
        if (!_master.HasExited)
        {
            _master.Kill(entireProcessTree: true);
        }

        foreach (int pid in new[] { ChildPid, GrandchildPid })
        {
            if (pid > 0 && Processes.IsRunning(pid))
            {
                try
                {
                    using Process orphan = Process.GetProcessById(pid);
                    orphan.Kill();
                }
                catch (ArgumentException)
                {
                }
            }
        }

        _master.Dispose();
    }
}
