namespace Econtext.Cli.Running;

/// <summary>Where a host is in a command's run; the last three are final.</summary>
internal enum HostState
{
    Waiting,
    Connecting,
    Running,
    Ok,
    Failed,
    Unreachable,
}
