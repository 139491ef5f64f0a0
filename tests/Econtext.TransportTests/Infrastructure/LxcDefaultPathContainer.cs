namespace Econtext.TransportTests.Infrastructure;

/// <summary>
/// The containers of <see cref="LxcContainer"/> in LXC's default path, /var/lib/lxc, where the tool
/// finds them by name as Ansible's lxc connection does (neither takes an LXC path). Their names carry
/// this run's id; only they are removed afterwards.
/// </summary>
public sealed class LxcDefaultPathContainer : LxcContainer
{
    public override string Path => "/var/lib/lxc";
}
