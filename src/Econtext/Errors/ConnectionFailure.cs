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

    /// <summary>sudo or doas does not allow this user to run commands as the target user.</summary>
    NotPermitted,

    /// <summary>
    /// The target has no usable .NET runtime in the places stage 0 looks, and none was sent
    /// (<see cref="RouterOptions.ShipRuntime"/> is off, or the target's platform cannot run this one's),
    /// or the options' <c>DotnetPath</c> names no executable file.
    /// </summary>
    RuntimeNotFound,

    /// <summary>The target's .NET runtime is older than .NET 10, which Econtext needs.</summary>
    RuntimeTooOld,
}
