namespace Econtext.TransportTests.Infrastructure;

/// <summary>
/// One LXC system container of this run (and a stopped one), in a private LXC path under /var/tmp
/// unless a subclass names LXC's default (<see cref="LxcDefaultPathContainer"/>), its root a <see cref="MinimalRootfs"/> without .NET, no network, started with a
/// <c>sleep</c> as init. Disposing stops it and removes the directory.
/// </summary>
public class LxcContainer : IAsyncLifetime
{
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];

    public const string OsRelease = "ID=econtext-lxc\n";

    /// <summary>A user of the container's /etc/passwd that this machine's has not.</summary>
    public static readonly RootfsUser Guest = new("ectlxc", 4322, "/home/ectlxc", "/bin/sh");

    /// <summary>The LXC path the containers are in: by default a private one of this run's.</summary>
    public virtual string Path => "/var/tmp/econtext-lxc-" + _runId;

    public string Name => "ect-" + _runId + "-running";

    /// <summary>A container that is defined but never started.</summary>
    public string Stopped => "ect-" + _runId + "-stopped";

    public LxcOptions Options(string container) => new() { Container = container, LxcPath = Path, LxcAttachPath = "/usr/bin/lxc-attach", ConnectTimeout = TimeSpan.FromSeconds(30) };

    /// <summary>The host pid of the container's init.</summary>
    public async Task<int> InitPidAsync() =>
        int.Parse((await Shell.CheckAsync("/usr/bin/lxc-info", "-P", Path, "-n", Name, "-pH")).StandardOutput.Trim(), System.Globalization.CultureInfo.InvariantCulture);

    public async Task InitializeAsync()
    {
        if (!File.Exists("/usr/bin/lxc-start"))
        {
            throw new InvalidOperationException("lxc is not installed: apt-get install -y --no-install-recommends lxc (see .ci/packages)");
        }

        foreach (string container in new[] { Name, Stopped })
        {
            string dir = System.IO.Path.Combine(Path, container);
            await new MinimalRootfs { Users = [Guest], OsRelease = OsRelease, DeviceNodes = false }.BuildAsync(System.IO.Path.Combine(dir, "rootfs"));
            await File.WriteAllTextAsync(System.IO.Path.Combine(dir, "config"), $"""
                lxc.uts.name = {container}
                lxc.rootfs.path = dir:{dir}/rootfs
                lxc.net.0.type = empty
                lxc.mount.auto = proc:mixed sys:ro
                lxc.autodev = 1
                lxc.init.cmd = /usr/bin/sleep infinity

                """);
        }

        await Shell.CheckAsync("/usr/bin/lxc-start", "-P", Path, "-n", Name, "-d");
        await Shell.CheckAsync("/usr/bin/lxc-wait", "-P", Path, "-n", Name, "-s", "RUNNING", "-t", "20");
    }

    public async Task DisposeAsync()
    {
        await Shell.RunAsync("/usr/bin/lxc-stop", "-P", Path, "-n", Name, "-k");
        foreach (string mount in File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith($"{Path}/{Name}/", StringComparison.Ordinal) || m.StartsWith($"{Path}/{Stopped}/", StringComparison.Ordinal)).OrderByDescending(m => m.Length))
        {
            await Shell.RunAsync("/usr/bin/umount", "-l", mount);
        }

        // Only what this run made: in LXC's default path other containers live beside them.
        foreach (string container in new[] { Name, Stopped })
        {
            string dir = System.IO.Path.Combine(Path, container);
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        if (Path.StartsWith("/var/tmp/econtext-lxc-", StringComparison.Ordinal) && Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
