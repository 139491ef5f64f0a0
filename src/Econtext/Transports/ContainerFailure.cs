namespace Econtext.Transports;

/// <summary>
/// What podman, docker, buildah, nsenter and chroot print when they cannot start a context, and
/// the fix; also what a runtime that cannot run on the target prints (any transport). Their own
/// words are quoted before this advice, as for ssh.
/// </summary>
internal static partial class ContainerFailure
{
    public static (ConnectionFailure Kind, string Advice)? Classify(string all)
    {
        if (Contains(all, "error while loading shared libraries: libstdc++") || Contains(all, "libstdc++.so.6: cannot open shared object file"))
        {
            return (ConnectionFailure.RuntimeDependencyMissing,
                "The .NET runtime needs the C++ runtime library (libstdc++.so.6), which the target lacks. Install it there (Debian, Ubuntu: libstdc++6; Fedora: libstdc++; Alpine needs a musl build of .NET), "
                + "or use an image that has it.");
        }

        if (Contains(all, "Cannot connect to the Docker daemon") || Contains(all, "Cannot connect to Podman") || Contains(all, "unable to connect to Podman socket")
            || Contains(all, "Is the docker daemon running?") || Contains(all, "error during connect: "))
        {
            return (ConnectionFailure.EngineUnavailable,
                "The engine's daemon or service cannot be reached. Start it (systemctl start docker, or podman system service), or point DOCKER_HOST / CONTAINER_HOST (EngineEnvironment) at the one to use.");
        }

        if (Contains(all, "permission denied while trying to connect to the Docker daemon socket") || Contains(all, "Got permission denied while trying to connect"))
        {
            return (ConnectionFailure.NotPermitted,
                "This user may not use the Docker daemon. Add it to the docker group (and log in again), use a rootless daemon through DOCKER_HOST, or start the context through sudo (Via).");
        }

        // chroot quotes the directory with the locale's quotation marks; "Not a directory": a file by that name.
        if (Contains(all, "no container with name or ID") || Contains(all, "No such container") || Contains(all, "container not known")
            || Contains(all, "chroot: cannot change root directory to") && (Contains(all, "No such file or directory") || Contains(all, "Not a directory")))
        {
            return (ConnectionFailure.ContainerNotFound,
                "There is no such container (or directory, for chroot). Check its name or id with `podman ps -a` / `docker ps -a` (`buildah containers` for buildah).");
        }

        // nsenter first looks at the process's /proc/PID/ns links: "nsenter: stat of /proc/PID/ns/user
        // failed: ..." with --all, "nsenter: cannot open /proc/PID/ns/net: ..." with a namespace named.
        if (NsenterProcPattern().Match(all) is { Success: true } missing && missing.Groups[1].Value == "No such file or directory")
        {
            return (ConnectionFailure.ContainerNotFound,
                "There is no process with that pid to enter. A container's main process is `podman inspect -f '{{.State.Pid}}' NAME` (or docker's); it changes when the container restarts.");
        }

        // docker's daemon says "Container ID is not running" (20.10) or "container ID is not running" (later).
        // lxc-attach cannot tell a stopped container from a missing one: both are "Failed to get init pid".
        if (Contains(all, "lxc-attach: ") && Contains(all, "Failed to get init pid"))
        {
            return (ConnectionFailure.ContainerNotRunning, "The LXC container is not running, or there is none of that name (in that LxcPath): `lxc-ls -f` lists them, `lxc-start -n NAME` starts one.");
        }

        if (Contains(all, "can only create exec sessions on running containers") || DockerNotRunningPattern().IsMatch(all) || Contains(all, "is paused, unpause the container"))
        {
            return (ConnectionFailure.ContainerNotRunning, "The container is not running: start it (`podman start NAME`, `docker start NAME`), or unpause it, then connect again.");
        }

        // podman and docker: "unable to find user bob: no matching entries in passwd file" (or group,
        // group file); buildah: "determining run uid: user: unknown user error looking up user"; chroot: "invalid user".
        if (Contains(all, "unable to find user") || Contains(all, "unable to find group") || Contains(all, "no matching entries in passwd file") || Contains(all, "no matching entries in group file")
            || Contains(all, "unknown user error looking up user") || Contains(all, "unknown group error looking up group")
            || Contains(all, "chroot: invalid user") || Contains(all, "chroot: invalid group"))
        {
            return (ConnectionFailure.UserUnknown, "The user (or group) does not exist in there: use one from the container's (or directory's) /etc/passwd and /etc/group, a numeric id, or create it first.");
        }

        // runc: exec: "/bin/sh": stat /bin/sh: no such file or directory (buildah escapes the quotes);
        // crun: executable file `/bin/sh` not found in $PATH, or exec container process `/bin/sh`;
        // chroot: failed to run command '/bin/sh' (with the locale's quotation marks).
        if (Contains(all, "stat /bin/sh: no such file or directory") || Contains(all, "Failed to exec \"/bin/sh\"") || Contains(all, "executable file `/bin/sh` not found") || Contains(all, "exec container process `/bin/sh`: No such file or directory")
            || Contains(all, "exec /bin/sh: no such file or directory") || Contains(all, "nsenter: failed to execute /bin/sh: No such file or directory")
            || ChrootNoShellPattern().IsMatch(all))
        {
            return (ConnectionFailure.ShellNotFound,
                "There is no /bin/sh in there, which Econtext's bootstrap needs (images built FROM scratch or distroless have none). Use an image with a shell (busybox is enough), or add one.");
        }

        if (Contains(all, "chroot: cannot change root directory to") && Contains(all, "Operation not permitted")
            || Contains(all, "nsenter: reassociate to namespace") && Contains(all, "Operation not permitted")
            || NsenterProcPattern().Match(all) is { Success: true } refused && refused.Groups[1].Value == "Permission denied")
        {
            return (ConnectionFailure.NotPermitted, "Entering another root or another process's namespaces needs root (CAP_SYS_CHROOT, CAP_SYS_ADMIN): start the context through sudo (Via).");
        }

        return null;
    }

    private static bool Contains(string text, string part) => text.Contains(part, StringComparison.Ordinal);

    [System.Text.RegularExpressions.GeneratedRegex(@"nsenter: (?:stat of|cannot open) /proc/\d+/ns/\w+(?: failed)?: (No such file or directory|Permission denied)")]
    private static partial System.Text.RegularExpressions.Regex NsenterProcPattern();

    [System.Text.RegularExpressions.GeneratedRegex(@"Error response from daemon: [Cc]ontainer \S+ is not running")]
    private static partial System.Text.RegularExpressions.Regex DockerNotRunningPattern();

    [System.Text.RegularExpressions.GeneratedRegex(@"chroot: failed to run command .?/bin/sh.?: No such file or directory")]
    private static partial System.Text.RegularExpressions.Regex ChrootNoShellPattern();
}
