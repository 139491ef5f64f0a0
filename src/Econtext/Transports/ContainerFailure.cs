namespace Econtext.Transports;

/// <summary>
/// What podman, docker, buildah, nsenter and chroot print when they cannot start a context, and
/// the fix; also what a runtime that cannot run on the target prints (any transport). Their own
/// words are quoted before this advice, as for ssh.
/// </summary>
internal static class ContainerFailure
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
            || Contains(all, "Is the docker daemon running?"))
        {
            return (ConnectionFailure.EngineUnavailable,
                "The engine's daemon or service cannot be reached. Start it (systemctl start docker, or podman system service), or point DOCKER_HOST / CONTAINER_HOST (EngineEnvironment) at the one to use.");
        }

        if (Contains(all, "permission denied while trying to connect to the Docker daemon socket") || Contains(all, "Got permission denied while trying to connect"))
        {
            return (ConnectionFailure.NotPermitted,
                "This user may not use the Docker daemon. Add it to the docker group (and log in again), use a rootless daemon through DOCKER_HOST, or start the context through sudo (Via).");
        }

        if (Contains(all, "no container with name or ID") || Contains(all, "No such container") || Contains(all, "container not known")
            || Contains(all, "cannot change root directory to") && Contains(all, "No such file or directory"))
        {
            return (ConnectionFailure.ContainerNotFound,
                "There is no such container (or directory, for chroot). Check its name or id with `podman ps -a` / `docker ps -a` (`buildah containers` for buildah).");
        }

        if (Contains(all, "/proc/") && Contains(all, "nsenter:") && Contains(all, "No such file or directory"))
        {
            return (ConnectionFailure.ContainerNotFound,
                "There is no process with that pid to enter. A container's main process is `podman inspect -f '{{.State.Pid}}' NAME` (or docker's); it changes when the container restarts.");
        }

        if (Contains(all, "can only create exec sessions on running containers") || Contains(all, "Error response from daemon: Container ") && Contains(all, " is not running") || Contains(all, "is paused, unpause the container"))
        {
            return (ConnectionFailure.ContainerNotRunning, "The container is not running: start it (`podman start NAME`, `docker start NAME`), or unpause it, then connect again.");
        }

        if (Contains(all, "unable to find user") || Contains(all, "no matching entries in passwd file") || Contains(all, "unknown user error looking up user") || Contains(all, "chroot: invalid user") || Contains(all, "chroot: invalid group"))
        {
            return (ConnectionFailure.UserUnknown, "The user does not exist in there: use one from the container's (or directory's) /etc/passwd, a numeric uid, or create it first.");
        }

        if (Contains(all, "\"/bin/sh\": stat /bin/sh: no such file or directory") || Contains(all, "failed to run command '/bin/sh'") || Contains(all, "exec /bin/sh: no such file or directory")
            || Contains(all, "nsenter: failed to execute /bin/sh"))
        {
            return (ConnectionFailure.ShellNotFound,
                "There is no /bin/sh in there, which Econtext's bootstrap needs (images built FROM scratch or distroless have none). Use an image with a shell (busybox is enough), or add one.");
        }

        if (Contains(all, "cannot change root directory to") && Contains(all, "Operation not permitted")
            || Contains(all, "nsenter: reassociate to namespace") && Contains(all, "Operation not permitted")
            || Contains(all, "nsenter: cannot open") && Contains(all, "Permission denied"))
        {
            return (ConnectionFailure.NotPermitted, "Entering another root or another process's namespaces needs root (CAP_SYS_CHROOT, CAP_SYS_ADMIN): start the context through sudo (Via).");
        }

        return null;
    }

    private static bool Contains(string text, string part) => text.Contains(part, StringComparison.Ordinal);
}
