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
/// <param name="Distribution">NAME from /etc/os-release, such as "Debian GNU/Linux".</param>
/// <param name="DistributionVersion">VERSION_ID from /etc/os-release, such as "12".</param>
/// <param name="DistributionFamily">The family as Ansible names it (Debian, RedHat, Suse, Alpine, Archlinux...), from ID and ID_LIKE.</param>
/// <param name="Fqdn">The host's canonical name as the resolver gives it; the hostname when it does not answer quickly.</param>
/// <param name="UptimeSeconds">Seconds since boot, from /proc/uptime.</param>
/// <param name="Virtualization">What the context runs in: a container engine (podman, docker, lxc), a hypervisor (kvm, vmware...), or none.</param>
/// <param name="Date">The host's clock, ISO 8601 with its UTC offset.</param>
/// <param name="DefaultRoute">The IPv4 default route; null when there is none.</param>
/// <param name="Interfaces">Network interfaces and their addresses.</param>
/// <param name="Mounts">Mounted file systems that hold files, with their size and free space.</param>
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
    int ContextId,
    string? Distribution = null,
    string? DistributionVersion = null,
    string? DistributionFamily = null,
    string? Fqdn = null,
    double? UptimeSeconds = null,
    string? Virtualization = null,
    string? Date = null,
    DefaultRouteFacts? DefaultRoute = null,
    IReadOnlyList<NetworkInterfaceFacts>? Interfaces = null,
    IReadOnlyList<MountFacts>? Mounts = null);
