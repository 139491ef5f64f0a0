namespace Econtext;

/// <summary>Why a context could not be started.</summary>
public enum ConnectionFailure
{
    /// <summary>The transport process exited before the context was running; see <see cref="ConnectionException.TransportOutput"/>.</summary>
    TransportExited,

    /// <summary>ssh could not log in with any method it tried (keys, agent, password): <c>Permission denied</c>.</summary>
    AuthenticationFailed,

    /// <summary>The ssh server presented a key other than the one known_hosts holds for it; nothing was sent to it.</summary>
    HostKeyMismatch,

    /// <summary>The ssh server's key is not in known_hosts and host key checking is strict (see <see cref="SshOptions.HostKeyPolicy"/>).</summary>
    HostKeyUnknown,

    /// <summary>Nothing accepted the TCP connection on that address and port.</summary>
    ConnectionRefused,

    /// <summary>The host name did not resolve.</summary>
    HostUnresolved,

    /// <summary>
    /// The host did not answer in time, or the context did not report ready within the options'
    /// <c>ConnectTimeout</c> (for ssh, that timeout plus 30 s for authentication and the runtime's start).
    /// </summary>
    ConnectTimeout,

    /// <summary>ssh, sudo, su or doas asked for a password and the options gave none.</summary>
    PasswordRequired,

    /// <summary>The password given was refused.</summary>
    PasswordIncorrect,

    /// <summary>sudo or doas does not allow this user to run commands as the target user, or this user may not use the container engine or enter the namespaces (not root, not in the docker group).</summary>
    NotPermitted,

    /// <summary>
    /// The target has no usable .NET runtime in the places stage 0 looks, and none was sent
    /// (<see cref="RouterOptions.ShipRuntime"/> is off, or the target's platform cannot run this one's),
    /// or one would be sent and nowhere there can keep it (a read-only root without a writable /tmp),
    /// or the options' <c>DotnetPath</c> names no executable file.
    /// </summary>
    RuntimeNotFound,

    /// <summary>The target's .NET runtime is older than .NET 10, which Econtext needs.</summary>
    RuntimeTooOld,

    /// <summary>
    /// The container does not exist (podman, docker, buildah), the process to enter is gone (nsenter),
    /// or the directory is missing (chroot).
    /// </summary>
    ContainerNotFound,

    /// <summary>The container exists but is not running (stopped, exited, paused): an engine can exec only into a running one.</summary>
    ContainerNotRunning,

    /// <summary>
    /// The transport's program (ssh, sudo, podman, docker, ...) is not installed where it was looked
    /// for, or the container engine's daemon or service cannot be reached.
    /// </summary>
    EngineUnavailable,

    /// <summary>The user to run as does not exist there (in the container's passwd, or the chroot's).</summary>
    UserUnknown,

    /// <summary>The target has no <c>/bin/sh</c>, which the bootstrap needs (an image built <c>FROM scratch</c> or distroless).</summary>
    ShellNotFound,

    /// <summary>
    /// A .NET runtime is there (or was shipped) but cannot run: a library it needs, such as the C++
    /// runtime libstdc++, is missing on the target.
    /// </summary>
    RuntimeDependencyMissing,
}
