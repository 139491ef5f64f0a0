namespace Econtext.Cli.Remote;

/// <summary>What a context reports about the machine and process it runs in. Null where the host does not say.</summary>
/// <param name="Hostname">The host's name, as gethostname(2) gives it.</param>
/// <param name="OsDescription">PRETTY_NAME from /etc/os-release, else the runtime's description of the OS.</param>
/// <param name="KernelVersion">Contents of /proc/sys/kernel/osrelease.</param>
/// <param name="Architecture">Processor architecture of the OS, such as X64 or Arm64.</param>
/// <param name="ProcessorCount">Processors this process may use.</param>
/// <param name="MemoryTotalBytes">MemTotal from /proc/meminfo.</param>
/// <param name="MemoryAvailableBytes">MemAvailable from /proc/meminfo.</param>
/// <param name="DotnetVersion">The runtime running the context, such as ".NET 10.0.0".</param>
/// <param name="UserName">The user the context runs as.</param>
/// <param name="Uid">Real user id, from /proc/self/status.</param>
/// <param name="Pid">The context's process id.</param>
/// <param name="ContextName">The context's name, as the master calls it.</param>
/// <param name="ContextId">The context's id in the master's router tree.</param>
public sealed record HostFacts(
    string Hostname,
    string OsDescription,
    string? KernelVersion,
    string Architecture,
    int ProcessorCount,
    long? MemoryTotalBytes,
    long? MemoryAvailableBytes,
    string DotnetVersion,
    string UserName,
    int? Uid,
    int Pid,
    string ContextName,
    int ContextId);
