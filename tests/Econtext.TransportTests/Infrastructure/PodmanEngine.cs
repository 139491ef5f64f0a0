namespace Econtext.TransportTests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class PodmanCollection : ICollectionFixture<PodmanEngine>
{
    public const string Name = "podman";
}

/// <summary>
/// Podman as root with a private store (<c>--root</c>, <c>--runroot</c>, <c>--tmpdir</c> under
/// <see cref="ContainerEngine.Dir"/>) and a private containers.conf (<c>CONTAINERS_CONF</c>): runc,
/// cgroupfs (no systemd here), events to a file (no journald), and ulimits a container may have
/// where the test run's own are lower than podman's defaults.
/// </summary>
public sealed class PodmanEngine : ContainerEngine
{
    public override string Engine => "podman";

    public override string ProgramPath => "/usr/bin/podman";

    public override ContainerOptions Options(string container) => new PodmanOptions
    {
        Container = container,
        PodmanPath = ProgramPath,
        EngineArgs = EngineArgs,
        EngineEnvironment = EngineEnvironment,
        ConnectTimeout = TimeSpan.FromSeconds(15),
    };

    /// <summary>buildah's global arguments for the same private store, so it sees this run's images.</summary>
    public IReadOnlyList<string> BuildahArgs => ["--root", Path.Combine(Dir, "storage"), "--runroot", Path.Combine(Dir, "run")];

    protected override IReadOnlyList<string> ReadOnlyArgs => [];

    protected override IReadOnlyList<string> ArgsFor(string dir) =>
        ["--root", Path.Combine(dir, "storage"), "--runroot", Path.Combine(dir, "run"), "--tmpdir", Path.Combine(dir, "tmp")];

    protected override IReadOnlyDictionary<string, string> EnvironmentFor(string dir) =>
        new Dictionary<string, string> { ["CONTAINERS_CONF"] = Path.Combine(dir, "containers.conf") };

    protected override Task StartEngineAsync(string dir)
    {
        string[] missing = new[] { ProgramPath, "/usr/bin/buildah", "/usr/sbin/runc" }.Where(p => !File.Exists(p)).ToArray();
        if (missing.Length > 0)
        {
            throw new InvalidOperationException($"missing {string.Join(", ", missing)}: apt-get install -y --no-install-recommends podman buildah runc netavark (see .ci/packages)");
        }

        return WriteConfigAsync(dir);
    }

    private static Task WriteConfigAsync(string dir) => File.WriteAllTextAsync(
        Path.Combine(dir, "containers.conf"),
        """
        # Econtext.TransportTests: podman as root on a machine without systemd or journald.
        [engine]
        runtime = "runc"
        cgroup_manager = "cgroupfs"
        events_logger = "file"

        [containers]
        default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

        """);

    protected override async Task StopEngineAsync(string dir)
    {
        if (Directory.Exists(Path.Combine(dir, "storage")) && File.Exists(Path.Combine(dir, "containers.conf")))
        {
            // Working containers of buildah are podman's "external" containers: --all --external removes them too.
            await RunInAsync(dir, "rm", "--all", "--force", "--time", "0");
            await RunInAsync(dir, "rmi", "--all", "--force");
        }
    }
}
