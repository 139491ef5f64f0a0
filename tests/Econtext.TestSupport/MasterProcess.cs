using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Econtext.TestSupport;

/// <summary>
/// A test master (Econtext.TestMaster) run as a process of its own, for a test to SIGKILL: started
/// with some arguments, it prints <c>KEY=PID</c> lines once its contexts answer; this waits for the
/// keys asked for. Disposing kills whatever is left of it, and the processes it reported.
/// </summary>
public sealed class MasterProcess : IDisposable
{
    private readonly Process _master;
    private readonly StringBuilder _stderr = new();
    private readonly Dictionary<string, int> _pids = [];

    private readonly bool _killReported;

    private MasterProcess(Process master, bool killReported)
    {
        _master = master;
        _killReported = killReported;
    }

    /// <summary>
    /// Starts <c>DOTNET DLL ARGUMENTS...</c> and returns once it has printed every key of <paramref name="keys"/>.
    /// With <paramref name="killReported"/>, disposing also kills the processes it reported (only for
    /// pids of this machine's namespace: a pid seen inside a container means another process here).
    /// </summary>
    /// <exception cref="InvalidOperationException">It ended, or printed something else, before all of them; its stderr is in the message.</exception>
    public static async Task<MasterProcess> StartAsync(string dotnetHost, string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, IReadOnlyCollection<string> keys, TimeSpan timeout, bool killReported = false)
    {
        var start = new ProcessStartInfo(dotnetHost) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var master = new MasterProcess(Process.Start(start)!, killReported);
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
            while (!keys.All(master._pids.ContainsKey) && (line = await master._master.StandardOutput.ReadLineAsync().WaitAsync(timeout)) is not null)
            {
                int equals = line.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0 && int.TryParse(line[(equals + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                {
                    master._pids[line[..equals]] = pid;
                }
            }

            if (!keys.All(master._pids.ContainsKey))
            {
                throw new InvalidOperationException($"the test master did not print {string.Join(", ", keys)}; its stderr: {master.Stderr}");
            }

            return master;
        }
        catch
        {
            master.Dispose();
            throw;
        }
    }

    /// <summary>The master's own process id.</summary>
    public int ProcessId => _master.Id;

    /// <summary>The pid the master printed under <paramref name="key"/>.</summary>
    public int Pid(string key) => _pids[key];

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

    /// <summary>Kills the master if it still runs, and (if asked at the start) the processes it reported.</summary>
    public void Dispose()
    {
        if (!_master.HasExited)
        {
            _master.Kill(entireProcessTree: true);
        }

        foreach (int pid in _killReported ? _pids.Values.ToArray() : [])
        {
            if (pid > 0 && Processes.IsRunning(pid))
            {
                try
                {
                    using Process orphan = Process.GetProcessById(pid);
                    orphan.Kill();
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                {
                }
            }
        }

        _master.Dispose();
    }
}
