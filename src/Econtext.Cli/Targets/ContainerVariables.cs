using System.Globalization;

namespace Econtext.Cli.Targets;

/// <summary>
/// The variables of hosts reached through a container engine, chroot or nsenter, read as Ansible's connection
/// plugins read them (containers.podman.podman and .buildah, community.docker.docker, .docker_api and .nsenter,
/// community.general.chroot). Where a plugin lists several variables for one option the last one set wins, as
/// in Ansible; podman, buildah and chroot take the container or directory from Ansible's play context, which
/// reads <c>ansible_ssh_host</c> before <c>ansible_host</c>.
/// </summary>
internal static class ContainerVariables
{
    /// <summary>The variables read here, so a Jinja template in one is refused rather than taken literally.</summary>
    public static readonly string[] Used =
    [
        "ansible_podman_executable", "ansible_podman_extra_args", "ansible_podman_extra_env", "ansible_podman_working_directory",
        "ansible_docker_host", "ansible_docker_user", "ansible_docker_extra_args", "ansible_docker_extra_env",
        "ansible_docker_working_dir", "ansible_docker_privileged", "ansible_docker_docker_host",
        "ansible_buildah_executable", "ansible_buildah_extra_args", "ansible_buildah_extra_env", "ansible_buildah_working_directory",
        "ansible_chroot_exe", "ansible_nsenter_pid", "ansible_lxc_host",
    ];

    /// <summary>The namespaces community.docker.nsenter enters (it has no --root, --wd, --cgroup or --user).</summary>
    public static readonly IReadOnlyList<string> AnsibleNsenterArgs = ["--ipc", "--mount", "--net", "--pid", "--uts", "--preserve-credentials"];

    /// <summary>Fills in what <paramref name="connection"/> reads; <paramref name="plugin"/> is the name the inventory gave.</summary>
    public static TargetHost Apply(TargetHost host, TargetConnection connection, string plugin, VariableReader vars) => connection switch
    {
        TargetConnection.Podman => host with
        {
            Address = vars.Get("ansible_ssh_host", "ansible_host"),
            User = vars.Get("ansible_user"),
            ProgramPath = vars.Get("ansible_podman_executable"),
            EngineArgs = vars.Words("ansible_podman_extra_args"),
            WorkingDirectory = vars.Get("ansible_podman_working_directory"),
            ContainerEnvironment = vars.Mapping("ansible_podman_extra_env"),
        },
        TargetConnection.Docker => Docker(host, plugin, vars),
        TargetConnection.Buildah => Buildah(host, vars),
        TargetConnection.Chroot => host with
        {
            // community.general.chroot runs as the controller's user (root): it reads no ansible_user.
            Address = vars.Get("ansible_ssh_host", "ansible_host"),
            ProgramPath = vars.Get("ansible_chroot_exe"),
        },
        TargetConnection.Lxc => host with
        {
            // community.general.lxc names the container by ansible_lxc_host or ansible_host and attaches as root.
            Address = vars.Get("ansible_lxc_host", "ansible_host"),
        },
        TargetConnection.Nsenter => host with
        {
            // community.docker.nsenter always runs as root and names the process by ansible_nsenter_pid alone.
            Pid = Pid(vars),
            NsenterArgs = AnsibleNsenterArgs,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(connection), connection, "not a container connection"),
    };

    private static TargetHost Docker(TargetHost host, string plugin, VariableReader vars)
    {
        if (vars.Boolean("ansible_docker_privileged") == true)
        {
            throw vars.Error("ansible_docker_privileged is true; econtext does not run docker exec --privileged, so leave it out or set it false");
        }

        // docker_api talks to the daemon without the docker client; econtext runs the client against the same
        // daemon (ansible_docker_docker_host becomes its DOCKER_HOST) and the same container. The client's own
        // arguments, ansible_docker_extra_args, are read by the docker plugin only.
        bool api = plugin.EndsWith("docker_api", StringComparison.Ordinal);
        return host with
        {
            Address = vars.Get("ansible_docker_host", "ansible_host"),
            User = vars.Get("ansible_docker_user", "ansible_user"),
            EngineArgs = api ? [] : vars.Words("ansible_docker_extra_args"),
            EngineEnvironment = api && vars.Get("ansible_docker_docker_host") is { } daemon ? new Dictionary<string, string> { ["DOCKER_HOST"] = daemon } : null,
            WorkingDirectory = vars.Get("ansible_docker_working_dir"),
            ContainerEnvironment = vars.Mapping("ansible_docker_extra_env"),
        };
    }

    private static TargetHost Buildah(TargetHost host, VariableReader vars)
    {
        if (vars.Mapping("ansible_buildah_extra_env") is { Count: > 0 })
        {
            throw vars.Error("ansible_buildah_extra_env is set; econtext cannot set variables in a buildah container yet, so leave it out (or set them in the container's image with buildah config --env)");
        }

        return host with
        {
            Address = vars.Get("ansible_ssh_host", "ansible_host"),
            User = vars.Get("ansible_user"),
            ProgramPath = vars.Get("ansible_buildah_executable"),
            EngineArgs = vars.Words("ansible_buildah_extra_args"),
            WorkingDirectory = vars.Get("ansible_buildah_working_directory"),
        };
    }

    private static int Pid(VariableReader vars)
    {
        string text = vars.Get("ansible_nsenter_pid") ?? "1";
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid >= 1 ? pid
            : throw vars.Error($"ansible_nsenter_pid is \"{text}\"; it must be a process id, a whole number from 1 (default 1, the init process)");
    }
}
