using Econtext.Cli.Targets;

namespace Econtext.Cli.Running;

/// <summary>
/// Starts the context of a container, chroot or namespace host: the engine runs here, or in the --via host's
/// context when there is one (the container is then that host's). As with Ansible's <c>-u</c>, the command
/// line's user is the user inside a podman, docker or buildah container that names none.
/// </summary>
internal static class ContainerTargets
{
    public static Task<Context> ConnectAsync(Router router, RunSettings settings, TargetHost host, Context? via, CancellationToken cancellationToken)
    {
        string name = via is null ? host.Name : $"{host.Name}@{via.Name}";
        string? user = host.User ?? settings.User;
        switch (host.Connection)
        {
            case TargetConnection.Podman:
                var podman = new PodmanOptions { Container = host.ConnectAddress, PodmanPath = host.ProgramPath ?? "podman" };
                return router.PodmanAsync((PodmanOptions)WithHost(podman, host, user, settings, name, via), cancellationToken);

            case TargetConnection.Docker:
                var docker = new DockerOptions { Container = host.ConnectAddress, DockerPath = host.ProgramPath ?? "docker" };
                return router.DockerAsync((DockerOptions)WithHost(docker, host, user, settings, name, via), cancellationToken);

            case TargetConnection.Buildah:
                return router.BuildahAsync(
                    new BuildahOptions
                    {
                        Container = host.ConnectAddress,
                        User = user,
                        WorkingDirectory = host.WorkingDirectory,
                        BuildahArgs = host.EngineArgs,
                        BuildahPath = host.ProgramPath ?? "buildah",
                        ConnectTimeout = settings.ConnectTimeout,
                        Name = name,
                        Via = via,
                    },
                    cancellationToken);

            case TargetConnection.Chroot:
                // Ansible's chroot runs as the controller's user, so -u does not apply; chroot://USER@DIR does.
                return router.ChrootAsync(
                    new ChrootOptions
                    {
                        Directory = host.ConnectAddress,
                        User = host.User,
                        ChrootPath = host.ProgramPath ?? "chroot",
                        ConnectTimeout = settings.ConnectTimeout,
                        Name = name,
                        Via = via,
                    },
                    cancellationToken);

            case TargetConnection.Lxc:
                (int? lxcUid, int? lxcGid) = TargetScheme.NumericIds(host.User);
                return router.LxcAsync(
                    new LxcOptions
                    {
                        Container = host.ConnectAddress,
                        UserId = lxcUid,
                        GroupId = lxcGid,
                        ConnectTimeout = settings.ConnectTimeout,
                        Name = name,
                        Via = via,
                    },
                    cancellationToken);

            case TargetConnection.Nsenter:
                (int? uid, int? gid) = TargetScheme.NumericIds(host.User);
                return router.NsenterAsync(
                    new NsenterOptions
                    {
                        Pid = host.Pid ?? 1,
                        UserId = uid,
                        GroupId = gid,
                        NsenterArgs = host.NsenterArgs,
                        ConnectTimeout = settings.ConnectTimeout,
                        Name = name,
                        Via = via,
                    },
                    cancellationToken);

            default:
                throw new ArgumentOutOfRangeException(nameof(host), host.Connection, "not a container, chroot or namespace host");
        }
    }

    /// <summary>What podman and docker hosts share: the user, directory and environment inside, the engine's settings.</summary>
    private static ContainerOptions WithHost(ContainerOptions options, TargetHost host, string? user, RunSettings settings, string name, Context? via) => options with
    {
        User = user,
        WorkingDirectory = host.WorkingDirectory,
        Environment = host.ContainerEnvironment,
        EngineEnvironment = host.EngineEnvironment,
        EngineArgs = host.EngineArgs,
        ConnectTimeout = settings.ConnectTimeout,
        Name = name,
        Via = via,
    };
}
