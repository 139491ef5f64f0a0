using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;

namespace Econtext.Cli.Remote;

/// <summary>
/// Runs inside a context: the master calls these with <c>context.CallAsync(() => Facts.Collect())</c>,
/// and this assembly is sent to the context on that first call.
/// </summary>
public static class Facts
{
    /// <summary>Describes the machine and process this code runs in.</summary>
    public static HostFacts Collect()
    {
        Dictionary<string, long> memory = ReadMemInfo();
        string hostname = Dns.GetHostName();
        IReadOnlyList<NetworkInterfaceFacts> interfaces = HostDetails.Interfaces();
        return new HostFacts(
            Hostname: hostname,
            OsDescription: ReadOsRelease("PRETTY_NAME") ?? RuntimeInformation.OSDescription,
            KernelVersion: ReadFirstLine("/proc/sys/kernel/osrelease"),
            Architecture: RuntimeInformation.OSArchitecture.ToString(),
            ProcessorCount: Environment.ProcessorCount,
            MemoryTotalBytes: memory.TryGetValue("MemTotal", out long total) ? total : null,
            MemoryAvailableBytes: memory.TryGetValue("MemAvailable", out long available) ? available : null,
            DotnetVersion: RuntimeInformation.FrameworkDescription,
            UserName: Environment.UserName,
            Uid: ReadUid(),
            Pid: Environment.ProcessId,
            ContextName: CurrentContext.Name,
            ContextId: CurrentContext.Id,
            Distribution: ReadOsRelease("NAME"),
            DistributionVersion: ReadOsRelease("VERSION_ID"),
            DistributionFamily: HostDetails.Family(ReadOsRelease("ID"), ReadOsRelease("ID_LIKE")),
            Fqdn: HostDetails.Fqdn(hostname),
            UptimeSeconds: HostDetails.Uptime(),
            Virtualization: HostDetails.Virtualization(),
            Date: HostDetails.Date(),
            DefaultRoute: HostDetails.DefaultRoute(interfaces),
            Interfaces: interfaces,
            Mounts: HostDetails.Mounts());
    }

    /// <summary>Does nothing: a call to it measures the round trip alone.</summary>
    public static void Ping()
    {
    }

    internal static string? ReadFirstLine(string path)
    {
        try
        {
            using var reader = new StreamReader(path);
            return reader.ReadLine()?.Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static IEnumerable<string> ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>/proc/meminfo's "Name:   1234 kB" lines, in bytes.</summary>
    private static Dictionary<string, long> ReadMemInfo()
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (string line in ReadLines("/proc/meminfo"))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string[] parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 0 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            {
                bool kilobytes = parts.Length > 1 && parts[1] == "kB";
                values[line[..colon]] = kilobytes ? value * 1024 : value;
            }
        }

        return values;
    }

    private static string? ReadOsRelease(string key)
    {
        string prefix = key + "=";
        foreach (string line in ReadLines("/etc/os-release"))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                string value = line[prefix.Length..].Trim().Trim('"', '\'');
                return value.Length > 0 ? value : null;
            }
        }

        return null;
    }

    /// <summary>The real uid: the first number of the "Uid:" line of /proc/self/status.</summary>
    private static int? ReadUid()
    {
        foreach (string line in ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                string[] ids = line["Uid:".Length..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                return ids.Length > 0 && int.TryParse(ids[0], NumberStyles.None, CultureInfo.InvariantCulture, out int uid) ? uid : null;
            }
        }

        return null;
    }
}
