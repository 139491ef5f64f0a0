namespace Econtext;

/// <summary>Why a context could not be started.</summary>
public enum ConnectionFailure
{
    /// <summary>The transport process exited before the context was running; see <see cref="ConnectionException.TransportOutput"/>.</summary>
    TransportExited,
    AuthenticationFailed,
    HostKeyMismatch,
    HostKeyUnknown,
    ConnectionRefused,
    HostUnresolved,
    ConnectTimeout,
    PasswordRequired,
    PasswordIncorrect,
    NotPermitted,
    RuntimeNotFound,
    RuntimeTooOld,
}
