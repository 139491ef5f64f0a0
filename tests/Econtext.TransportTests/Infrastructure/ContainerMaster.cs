using System.Reflection;

namespace Econtext.TransportTests.Infrastructure;

/// <summary>
/// Econtext.TestMaster run as a master process of its own with one context in a container
/// (<c>container ENGINE CONTAINER ARGS...</c>), a chroot or a process's namespaces, for a test to
/// SIGKILL. Disposing kills whatever is left of the master (not the context's pid, which is the one
/// inside the container's pid namespace).
/// </summary>
public sealed class ContainerMaster : IDisposable
{
    private readonly MasterProcess _run;

    private ContainerMaster(MasterProcess run) => _run = run;

    /// <summary>The master's own process id.</summary>
    public int ProcessId => _run.ProcessId;

    /// <summary>The context's pid as it sees it (inside a container's or a namespace's pid namespace).</summary>
    public int ContextPid => _run.Pid("CONTEXT_PID");

    public string Stderr => _run.Stderr;

    /// <summary>Starts the master and returns once its context in <paramref name="container"/> has answered a call.</summary>
    public static Task<ContainerMaster> StartAsync(ContainerEngine engine, string container, TimeSpan timeout) =>
        StartAsync(["container", engine.ProgramPath, container, .. engine.EngineArgs], engine.EngineEnvironment, timeout);

    /// <summary>
    /// Starts the master with one of its other places (<c>chroot DIR CACHE</c>, <c>nsenter PID</c>) and
    /// returns once that context has answered a call.
    /// </summary>
    public static async Task<ContainerMaster> StartAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout) =>
        new(await MasterProcess.StartAsync(DotnetHost(), DllPath(), arguments, environment, ["CONTEXT_PID"], timeout));

    /// <summary>SIGKILL: the master gets no chance to clean up. Returns once it has exited.</summary>
    public Task KillAsync(TimeSpan timeout) => _run.KillAsync(timeout);

    public void Dispose() => _run.Dispose();

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
