namespace Econtext.Cli.Running;

/// <summary>
/// sudo, su or doas could not start the context after the host was reached (a missing or wrong password, a
/// user not allowed): the host is reachable and the task failed, so it counts as failed, as in Ansible,
/// not unreachable. <see cref="Exception.InnerException"/> is the transport's classified failure.
/// </summary>
internal sealed class BecomeFailedException(ConnectionException inner) : Exception(inner.Message, inner)
{
    public ConnectionException Connection => inner;
}
