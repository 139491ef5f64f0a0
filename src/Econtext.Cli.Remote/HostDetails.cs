using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Econtext.Cli.Remote;

/// <summary>
/// The facts beyond the basics, read where the kernel and the distribution keep them (no program is run):
/// distribution, FQDN, uptime, virtualization, the clock, the default route, interfaces and mounts.
/// Each is null or empty where the host does not say, never an error.
/// </summary>
internal static class HostDetails
{
    /// <summary>File systems that hold no files of the host's: kernel views, cgroups and the like.</summary>
    private static readonly HashSet<string> s_virtualFileSystems = new(StringComparer.Ordinal)
    {
        "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs", "pstore", "debugfs", "tracefs", "configfs",
        "fusectl", "mqueue", "hugetlbfs", "bpf", "binfmt_misc", "autofs", "rpc_pipefs", "nsfs", "efivarfs", "selinuxfs", "ramfs",
    };

    /// <summary>Ansible's ansible_os_family for a distribution's ID and ID_LIKE.</summary>
    public static string? Family(string? id, string? idLike)
    {
        foreach (string word in (id + " " + idLike).Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            string? family = word switch
            {
                "debian" or "ubuntu" or "raspbian" or "linuxmint" or "pop" or "kali" => "Debian",
                "rhel" or "fedora" or "centos" or "rocky" or "almalinux" or "ol" or "amzn" => "RedHat",
                "suse" or "opensuse" or "sles" or "opensuse-leap" or "opensuse-tumbleweed" => "Suse",
                "alpine" => "Alpine",
                "arch" or "manjaro" => "Archlinux",
                "gentoo" => "Gentoo",
                "void" => "Void",
                _ => null,
            };
            if (family is not null)
            {
                return family;
            }
        }

        return id is null ? null : CultureInfo.InvariantCulture.TextInfo.ToTitleCase(id);
    }

    /// <summary>The resolver's canonical name for the host, given a second at most (a host without DNS would hang here).</summary>
    public static string Fqdn(string hostname)
    {
        try
        {
            Task<IPHostEntry> lookup = Dns.GetHostEntryAsync(hostname);
            return lookup.Wait(TimeSpan.FromSeconds(1)) && lookup.Result.HostName is { Length: > 0 } name ? name : hostname;
        }
        catch (AggregateException)
        {
            return hostname;
        }
    }

    public static double? Uptime() =>
        Facts.ReadFirstLine("/proc/uptime")?.Split(' ') is [string seconds, ..] && double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : null;

    /// <summary>A container engine from the marks it leaves, else a hypervisor from the DMI vendor, else none.</summary>
    public static string Virtualization()
    {
        if (File.Exists("/run/.containerenv"))
        {
            return "podman";
        }

        if (File.Exists("/.dockerenv"))
        {
            return "docker";
        }

        string? container = Environment.GetEnvironmentVariable("container");
        if (string.IsNullOrEmpty(container))
        {
            try
            {
                container = File.ReadAllText("/proc/1/environ").Split('\0').FirstOrDefault(v => v.StartsWith("container=", StringComparison.Ordinal))?["container=".Length..];
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Only root may read init's environment; the other marks still count.
            }
        }

        if (!string.IsNullOrEmpty(container))
        {
            return container;
        }

        string vendor = (Facts.ReadFirstLine("/sys/class/dmi/id/sys_vendor") + " " + Facts.ReadFirstLine("/sys/class/dmi/id/product_name")).ToLowerInvariant();
        foreach ((string mark, string name) in (ReadOnlySpan<(string, string)>)[("qemu", "kvm"), ("kvm", "kvm"), ("vmware", "vmware"), ("virtualbox", "virtualbox"), ("xen", "xen"), ("microsoft", "hyperv"), ("amazon ec2", "kvm"), ("google", "kvm"), ("firecracker", "firecracker")])
        {
            if (vendor.Contains(mark, StringComparison.Ordinal))
            {
                return name;
            }
        }

        bool hypervisor = Facts.ReadLines("/proc/cpuinfo").Any(l => l.StartsWith("flags", StringComparison.Ordinal) && l.Contains(" hypervisor", StringComparison.Ordinal));
        return hypervisor ? "vm" : "none";
    }

    public static string Date() => DateTimeOffset.Now.ToString("yyyy-MM-dd'T'HH:mm:ssK", CultureInfo.InvariantCulture);

    public static IReadOnlyList<NetworkInterfaceFacts> Interfaces()
    {
        try
        {
            return [.. NetworkInterface.GetAllNetworkInterfaces().OrderBy(n => n.Name, StringComparer.Ordinal).Select(Describe)];
        }
        catch (NetworkInformationException)
        {
            return [];
        }

        static NetworkInterfaceFacts Describe(NetworkInterface nic)
        {
            byte[] mac = nic.GetPhysicalAddress().GetAddressBytes();
            string[] addresses = [.. nic.GetIPProperties().UnicastAddresses
                .OrderBy(a => a.Address.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
                .Select(a => $"{a.Address}/{a.PrefixLength}")];
            return new NetworkInterfaceFacts(
                nic.Name,
                nic.OperationalStatus.ToString().ToLowerInvariant(),
                mac.Length == 0 || mac.All(b => b == 0) ? null : string.Join(':', mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))),
                addresses);
        }
    }

    /// <summary>From /proc/net/route: the line whose destination and mask are 0, gateway in little-endian hex.</summary>
    public static DefaultRouteFacts? DefaultRoute(IReadOnlyList<NetworkInterfaceFacts> interfaces)
    {
        foreach (string line in Facts.ReadLines("/proc/net/route").Skip(1))
        {
            string[] fields = line.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 8 || fields[1] != "00000000" || fields[7] != "00000000")
            {
                continue;
            }

            string? gateway = uint.TryParse(fields[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint raw) && raw != 0
                ? new IPAddress(raw).ToString()
                : null;
            string? address = interfaces.FirstOrDefault(n => n.Name == fields[0])?.Addresses.FirstOrDefault(a => a.Contains('.', StringComparison.Ordinal))?.Split('/')[0];
            return new DefaultRouteFacts(fields[0], gateway, address);
        }

        return null;
    }

    /// <summary>/proc/self/mounts without the kernel's views, each with statfs's size and free space.</summary>
    public static IReadOnlyList<MountFacts> Mounts()
    {
        var mounts = new List<MountFacts>();
        foreach (string line in Facts.ReadLines("/proc/self/mounts"))
        {
            string[] fields = line.Split(' ');
            if (fields.Length < 3 || s_virtualFileSystems.Contains(fields[2]) || (fields[2] == "tmpfs" && fields[1] != "/tmp"))
            {
                continue;
            }

            // Spaces and such are octal escapes in /proc/self/mounts: "\040".
            string point = Unescape(fields[1]);
            (long? size, long? available) = Usage(point);
            mounts.Add(new MountFacts(point, Unescape(fields[0]), fields[2], size, available));
        }

        return mounts;
    }

    private static (long? Size, long? Available) Usage(string point)
    {
        try
        {
            var drive = new DriveInfo(point);
            return (drive.TotalSize, drive.AvailableFreeSpace);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return (null, null);
        }
    }

    private static string Unescape(string field) => !field.Contains('\\', StringComparison.Ordinal) ? field : System.Text.RegularExpressions.Regex.Replace(
        field,
        @"\\([0-7]{3})",
        m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString());
}
