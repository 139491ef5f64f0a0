using System.Diagnostics;
using System.Globalization;

namespace Econtext.TransportTests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class DockerCollection : ICollectionFixture<DockerEngine>
{
    public const string Name = "docker";
}

/// <summary>
/// A private Docker daemon (Debian's docker.io): <c>dockerd</c> with its own data root, exec root,
/// unix socket and containerd namespace under <see cref="ContainerEngine.Dir"/>, no bridge and no
/// iptables (the containers run with <c>--network none</c>) and the vfs storage driver (works on any
/// file system, also inside another container). The tests reach it through <c>DOCKER_HOST</c>.
/// </summary>
public sealed class DockerEngine : ContainerEngine
{
    private const string Dockerd = "/usr/sbin/dockerd";

    public override string Engine => "docker";

    /// <summary>Debian's client, the daemon's own version (not another docker that may be earlier in PATH).</summary>
    public override string ProgramPath => "/usr/bin/docker";

    /// <summary>The daemon's socket; only root (and the docker group) may connect to it.</summary>
    public string Socket => Path.Combine(Dir, "docker.sock");

    public override ContainerOptions Options(string container) => new DockerOptions
    {
        Container = container,
        DockerPath = ProgramPath,
        EngineArgs = EngineArgs,
        EngineEnvironment = EngineEnvironment,
        ConnectTimeout = TimeSpan.FromSeconds(15),
    };

    /// <summary>Docker's <c>--read-only</c> leaves no writable /tmp, and its <c>--tmpfs</c> is noexec unless told.</summary>
    protected override IReadOnlyList<string> ReadOnlyArgs => ["--tmpfs", "/tmp:rw,exec,mode=1777"];

    protected override IReadOnlyList<string> ArgsFor(string dir) => [];

    protected override IReadOnlyDictionary<string, string> EnvironmentFor(string dir) =>
        new Dictionary<string, string> { ["DOCKER_HOST"] = "unix://" + Path.Combine(dir, "docker.sock") };

    protected override async Task StartEngineAsync(string dir)
    {
        if (!File.Exists(Dockerd) || !File.Exists(ProgramPath))
        {
            throw new InvalidOperationException($"missing {Dockerd} or {ProgramPath}: apt-get install -y --no-install-recommends docker.io (see .ci/packages)");
        }

        string name = "econtext-" + Path.GetFileName(dir);
        string[] arguments =
        [
            "--data-root", Path.Combine(dir, "data"), "--exec-root", Path.Combine(dir, "exec"),
            "-H", "unix://" + Path.Combine(dir, "docker.sock"), "--pidfile", Path.Combine(dir, "docker.pid"),
            "--containerd-namespace", name, "--containerd-plugins-namespace", name + "-plugins",
            "--bridge=none", "--iptables=false", "--ip6tables=false", "--storage-driver", "vfs",
        ];

        // Through sh only to send its log to a file: exec leaves dockerd with the pid we know.
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (string argument in (string[])["-c", "exec \"$0\" \"$@\" >>\"$DOCKERD_LOG\" 2>&1", Dockerd, .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        string log = Path.Combine(dir, "dockerd.log");
        info.Environment["DOCKERD_LOG"] = log;
        using Process daemon = Process.Start(info) ?? throw new InvalidOperationException("could not start dockerd");
        daemon.StandardInput.Close();
        await File.WriteAllTextAsync(Path.Combine(dir, "dockerd.started"), daemon.Id.ToString(CultureInfo.InvariantCulture));

        // Ready when the client gets an answer; not ready when the daemon has exited (its log says why).
        long deadline = Environment.TickCount64 + 30_000;
        while (true)
        {
            RunResult version = await RunInAsync(dir, "version", "--format", "{{.Server.Version}}");
            if (version.ExitCode == 0)
            {
                return;
            }

            if (daemon.HasExited || Environment.TickCount64 > deadline)
            {
                string said = File.Exists(log) ? string.Join(Environment.NewLine, File.ReadLines(log).TakeLast(15)) : "(no log)";
                throw new InvalidOperationException($"dockerd did not start ({(daemon.HasExited ? "exited with " + daemon.ExitCode : "no answer within 30 s")}): {version.StandardError.Trim()}{Environment.NewLine}{said}");
            }

            await Task.Delay(100);
        }
    }

    protected override async Task StopEngineAsync(string dir)
    {
        string started = Path.Combine(dir, "dockerd.started");
        if (!File.Exists(started) || !int.TryParse(File.ReadAllText(started), CultureInfo.InvariantCulture, out int pid)
            || !Processes.CommandLine(pid).Contains(Path.Combine(dir, "docker.sock"), StringComparison.Ordinal))
        {
            return;
        }

        RunResult all = await RunInAsync(dir, "ps", "--all", "--quiet");
        string[] containers = all.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (all.ExitCode == 0 && containers.Length > 0)
        {
            await RunInAsync(dir, ["rm", "--force", .. containers]);
        }

        // dockerd stops its containerd; the shims of containers it could not remove are found by their socket address.
        List<int> ours = [pid, .. Processes.Descendants(pid)];
        ours.AddRange(Processes.All().Where(p => !ours.Contains(p) && Processes.CommandLine(p).Contains(Path.Combine(dir, "exec") + "/", StringComparison.Ordinal)));
        Processes.Signal(pid, Processes.SigTerm);
        if (!await Processes.WaitGoneAsync(ours, TimeSpan.FromSeconds(20)))
        {
            foreach (int left in ours)
            {
                Processes.Signal(left, Processes.SigKill);
            }

            await Processes.WaitGoneAsync(ours, TimeSpan.FromSeconds(5));
        }
    }
}
