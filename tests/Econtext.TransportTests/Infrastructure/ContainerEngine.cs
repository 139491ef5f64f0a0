using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Econtext.TransportTests.Infrastructure;

/// <summary>
/// A container engine (<see cref="PodmanEngine"/>, <see cref="DockerEngine"/>) set up once per test
/// run with private storage, so the tests never see or touch the machine's own containers, and
/// removed at the end, also when tests fail. It imports three images built from
/// <see cref="MinimalRootfs"/> tars (no registry, no network): a Debian userland with no .NET whose
/// /etc/os-release says <see cref="OsReleaseId"/>, the same without libstdc++, and one with no
/// /bin/sh at all (just <c>sleep</c> and its libraries); and starts containers from them with
/// <c>run -d --network none ... sleep infinity</c>: <see cref="Running"/>, <see cref="ReadOnly"/>,
/// <see cref="Exited"/> (ran <c>true</c> and exited), <see cref="NoCppRuntime"/>, <see cref="NoShell"/>.
/// Everything lives under <c>/var/tmp/econtext-engines/RUNID</c>; a run that died without cleaning
/// up (its owner process is gone) is swept away by the next one.
/// </summary>
public abstract class ContainerEngine : IAsyncLifetime
{
    public const string BaseDir = "/var/tmp/econtext-engines";

    /// <summary>The ID= of the images' /etc/os-release.</summary>
    public const string OsReleaseId = "econtext-container";

    /// <summary>A user of the images that is in no /etc/passwd of this machine's, with a home in the image.</summary>
    public static readonly RootfsUser Guest = new("ectguest", 4321, "/home/ectguest", "/bin/sh");

    private static readonly RootfsUser Nobody = new("nobody", 65534, "/nonexistent", "/usr/sbin/nologin");

    /// <summary>"podman" or "docker": the engine's command and the prefix of a context's default name.</summary>
    public abstract string Engine { get; }

    /// <summary>4 characters, [a-z0-9]: in every image and container name of this run.</summary>
    public string RunId { get; private set; } = string.Empty;

    /// <summary>This run's directory: the engine's storage, its config, the image tars.</summary>
    public string Dir { get; private set; } = string.Empty;

    /// <summary>How long <see cref="InitializeAsync"/> took (engine start, images, containers).</summary>
    public TimeSpan SetupTime { get; private set; }

    public string ImageNoDotnet => $"ect-{RunId}-nodotnet";

    public string ImageNoCppRuntime => $"ect-{RunId}-nolibstdcxx";

    public string ImageNoShell => $"ect-{RunId}-nosh";

    /// <summary>A running container with a shell and no .NET.</summary>
    public string Running => $"ect-{RunId}-running";

    /// <summary>Like <see cref="Running"/>, with a read-only root file system (and a writable /tmp).</summary>
    public string ReadOnly => $"ect-{RunId}-readonly";

    /// <summary>A container that ran and exited.</summary>
    public string Exited => $"ect-{RunId}-exited";

    /// <summary>A running container whose image has no libstdc++.</summary>
    public string NoCppRuntime => $"ect-{RunId}-nolibstdcxx";

    /// <summary>A running container whose image has no /bin/sh.</summary>
    public string NoShell => $"ect-{RunId}-nosh";

    /// <summary>The text of the images' /etc/os-release.</summary>
    public string OsRelease => $"ID={OsReleaseId}\nNAME=\"Econtext test image {RunId}\"\n";

    /// <summary>The engine's program, as the options name it.</summary>
    public abstract string ProgramPath { get; }

    /// <summary>Arguments before the engine's command: the private storage.</summary>
    public IReadOnlyList<string> EngineArgs => ArgsFor(Dir);

    /// <summary>Variables the engine needs: its private config or daemon socket.</summary>
    public IReadOnlyDictionary<string, string> EngineEnvironment => EnvironmentFor(Dir);

    /// <summary>Options for a context in <paramref name="container"/> through this engine with its private storage.</summary>
    public abstract ContainerOptions Options(string container);

    /// <summary>Starts a context with options made by <see cref="Options"/> (and changed with <c>with</c>).</summary>
    public static Task<Context> ConnectAsync(Router router, ContainerOptions options) => options switch
    {
        PodmanOptions podman => router.PodmanAsync(podman),
        DockerOptions docker => router.DockerAsync(docker),
        _ => throw new ArgumentException("not a podman or docker context: " + options.GetType().Name, nameof(options)),
    };

    /// <summary>Runs the engine with its private storage; the result says how it exited.</summary>
    public Task<RunResult> RunAsync(params string[] arguments) => RunInAsync(Dir, arguments);

    /// <summary>Runs the engine with the private storage of <paramref name="dir"/> (this run's or a crashed one's).</summary>
    protected Task<RunResult> RunInAsync(string dir, params string[] arguments) =>
        Shell.RunAsync(ProgramPath, [.. ArgsFor(dir), .. arguments], standardInput: null, EnvironmentFor(dir).ToDictionary(e => e.Key, e => (string?)e.Value), TimeSpan.FromSeconds(60));

    /// <summary>Runs the engine and throws unless it exits with 0; returns its trimmed output.</summary>
    public async Task<string> CheckAsync(params string[] arguments)
    {
        RunResult result = await RunAsync(arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Engine} failed: {result}");
        }

        return result.StandardOutput.Trim();
    }

    /// <summary>The host pid of the container's main process (<c>sleep infinity</c>); 0 if it does not run.</summary>
    public async Task<int> MainPidAsync(string container) =>
        int.Parse(await CheckAsync("inspect", "-f", "{{.State.Pid}}", container), CultureInfo.InvariantCulture);

    public async Task<bool> IsRunningAsync(string container) =>
        await CheckAsync("inspect", "-f", "{{.State.Running}}", container) == "true";

    /// <summary>Host pids of the processes in the container's pid namespace other than its main process.</summary>
    public async Task<List<int>> OthersInsideAsync(string container) => Processes.OthersInPidNamespaceOf(await MainPidAsync(container));

    /// <summary>The host pid of the process that has pid <paramref name="pidInside"/> in the container (a context's <see cref="Context.RemoteProcessId"/>), or null.</summary>
    public async Task<int?> HostPidAsync(string container, int pidInside)
    {
        foreach (int pid in await OthersInsideAsync(container))
        {
            // "NSpid:\t<host pid>\t<pid inside>": the last is the pid in the innermost namespace.
            string? line = null;
            try
            {
                line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("NSpid:", StringComparison.Ordinal));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }

            if (line is not null && line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[^1] == pidInside.ToString(CultureInfo.InvariantCulture))
            {
                return pid;
            }
        }

        return null;
    }

    public async Task InitializeAsync()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException($"the {Engine} tests run containers with private storage as root (CI does)");
        }

        var clock = Stopwatch.StartNew();
        try
        {
            await SetUpAsync();
        }
        catch
        {
            await CleanUpAsync();
            throw;
        }

        SetupTime = clock.Elapsed;
        await File.WriteAllTextAsync(Path.Combine(Dir, "setup-time"), $"{SetupTime.TotalSeconds:0.00} s\n");
    }

    public Task DisposeAsync() => CleanUpAsync();

    private async Task SetUpAsync()
    {
        Directory.CreateDirectory(BaseDir);
        foreach (string stale in Directory.EnumerateDirectories(BaseDir, Engine + "-*"))
        {
            if (!IsOwnerAlive(stale))
            {
                await RemoveRunAsync(stale);
            }
        }

        do
        {
            RunId = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 4);
            Dir = Path.Combine(BaseDir, $"{Engine}-{RunId}");
        }
        while (Directory.Exists(Dir));

        Directory.CreateDirectory(Dir);
        await RunOwner.RecordAsync(Dir);
        await StartEngineAsync(Dir);

        RootfsUser[] users = [Nobody, Guest];
        await Task.WhenAll(
            ImportAsync(ImageNoDotnet, new MinimalRootfs { Users = users, OsRelease = OsRelease, DeviceNodes = false }),
            ImportAsync(ImageNoCppRuntime, new MinimalRootfs { Users = users, OsRelease = OsRelease, DeviceNodes = false, CppRuntime = false }),
            ImportAsync(ImageNoShell, new MinimalRootfs { Programs = ["/usr/bin/sleep"], Users = users, OsRelease = OsRelease, DeviceNodes = false }));

        await Task.WhenAll(
            CheckAsync("run", "-d", "--network", "none", "--name", Running, ImageNoDotnet, "sleep", "infinity"),
            CheckAsync(["run", "-d", "--network", "none", "--read-only", .. ReadOnlyArgs, "--name", ReadOnly, ImageNoDotnet, "sleep", "infinity"]),
            CheckAsync("run", "--network", "none", "--name", Exited, ImageNoDotnet, "true"),
            CheckAsync("run", "-d", "--network", "none", "--name", NoCppRuntime, ImageNoCppRuntime, "sleep", "infinity"),
            CheckAsync("run", "-d", "--network", "none", "--name", NoShell, ImageNoShell, "/usr/bin/sleep", "infinity"));
    }

    /// <summary>What <c>run --read-only</c> needs besides to have a /tmp that can hold and run a shipped runtime.</summary>
    protected abstract IReadOnlyList<string> ReadOnlyArgs { get; }

    /// <summary>The engine's global arguments for the private storage under <paramref name="dir"/>.</summary>
    protected abstract IReadOnlyList<string> ArgsFor(string dir);

    /// <summary>The engine's variables for the private storage under <paramref name="dir"/>.</summary>
    protected abstract IReadOnlyDictionary<string, string> EnvironmentFor(string dir);

    /// <summary>Writes the engine's config under <paramref name="dir"/> and, for a daemon, starts it.</summary>
    protected abstract Task StartEngineAsync(string dir);

    /// <summary>Removes every container and image of the private storage, and stops a daemon; works for a crashed run's directory too.</summary>
    protected abstract Task StopEngineAsync(string dir);

    private async Task ImportAsync(string image, MinimalRootfs rootfs)
    {
        string root = Path.Combine(Dir, image);
        await rootfs.BuildAsync(root);
        string tar = root + ".tar";
        await Shell.CheckAsync("/usr/bin/tar", "-C", root, "-cf", tar, ".");
        Directory.Delete(root, recursive: true);
        await CheckAsync("import", tar, image);
        File.Delete(tar);
    }

    private async Task CleanUpAsync()
    {
        if (Dir.Length > 0)
        {
            await RemoveRunAsync(Dir);
        }
    }

    private async Task RemoveRunAsync(string dir)
    {
        await StopEngineAsync(dir);

        // What the engine left mounted (overlay layers, shm), deepest first: a recursive delete must
        // never walk into a mounted file system.
        string[] mounts = File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(dir + "/", StringComparison.Ordinal)).OrderByDescending(m => m.Length).ToArray();
        foreach (string mount in mounts)
        {
            await Shell.RunAsync("/usr/bin/umount", "-l", mount);
        }

        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // No owner file: dead, unless another test run is making the directory right now.
    private static bool IsOwnerAlive(string dir) => RunOwner.IsAlive(dir) ?? Directory.GetCreationTimeUtc(dir) > DateTime.UtcNow.AddMinutes(-1);
}
