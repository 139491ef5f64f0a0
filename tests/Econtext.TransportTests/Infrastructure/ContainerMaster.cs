using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace Econtext.TransportTests.Infrastructure;

/// <summary>
/// Econtext.TestMaster run as a master process of its own with one context in a container
/// (<c>container ENGINE CONTAINER ARGS...</c>), a chroot or a process's namespaces, for a test to SIGKILL. Disposing kills whatever is left of it.
/// </summary>
public sealed class ContainerMaster : IDisposable
{
    private readonly Process _master;
    private readonly StringBuilder _stderr = new();

    private ContainerMaster(Process master) => _master = master;

    public int ProcessId => _master.Id;

    /// <summary>The context's pid in the container's pid namespace.</summary>
    public int ContextPid { get; private set; }

    /// <summary>Starts the master and returns once its context in <paramref name="container"/> has answered a call.</summary>
    public static Task<ContainerMaster> StartAsync(ContainerEngine engine, string container, TimeSpan timeout) =>
        StartAsync(["container", engine.ProgramPath, container, .. engine.EngineArgs], engine.EngineEnvironment, timeout);

    /// <summary>
    /// Starts the master with one of its other places (<c>chroot DIR CACHE</c>, <c>nsenter PID</c>) and
    /// returns once that context has answered a call.
    /// </summary>
    public static async Task<ContainerMaster> StartAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])[DllPath(), .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var master = new ContainerMaster(Process.Start(start)!);
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
            while (master.ContextPid == 0 && (line = await master._master.StandardOutput.ReadLineAsync().WaitAsync(timeout)) is not null)
            {
                if (line.StartsWith("CONTEXT_PID=", StringComparison.Ordinal))
                {
                    master.ContextPid = int.Parse(line["CONTEXT_PID=".Length..], CultureInfo.InvariantCulture);
                }
            }

            Assert.True(master.ContextPid > 0, "the test master did not print its context's pid; its stderr: " + master.Stderr);
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

        _master.Dispose();
    }

    private static string DllPath()
    {
        string? recorded = typeof(ContainerMaster).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "Econtext.TestMaster.Path")?.Value;
        return !string.IsNullOrEmpty(recorded) && File.Exists(recorded)
            ? recorded
            : throw new FileNotFoundException($"Econtext.TestMaster.dll was not built (recorded path: '{recorded}'); build the solution first.");
    }

    /// <summary>The dotnet host running these tests, else DOTNET_HOST_PATH, else dotnet on PATH.</summary>
    private static string DotnetHost()
    {
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return !string.IsNullOrEmpty(host) && File.Exists(host) ? host : "dotnet";
    }
}
