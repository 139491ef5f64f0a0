namespace Econtext.Cli.Targets;

/// <summary>
/// One host a command runs on, as the command line or an inventory describes it. The field names follow
/// Ansible's host variables so an inventory maps onto them one to one.
/// </summary>
internal sealed record TargetHost
{
    /// <summary>The name shown in output and matched by patterns: the inventory name, or the text typed.</summary>
    public required string Name { get; init; }

    /// <summary>True for the local default target (and <c>ansible_connection=local</c>): a local context, no ssh.</summary>
    public bool IsLocal { get; init; }

    /// <summary><c>ansible_host</c>: the address or ssh_config alias to connect to; null means <see cref="Name"/>.</summary>
    public string? Address { get; init; }

    /// <summary><c>ansible_port</c>.</summary>
    public int? Port { get; init; }

    /// <summary><c>ansible_user</c>.</summary>
    public string? User { get; init; }

    /// <summary><c>ansible_ssh_private_key_file</c>.</summary>
    public string? IdentityFile { get; init; }

    /// <summary>
    /// <c>ansible_ssh_common_args</c> then <c>ansible_ssh_extra_args</c>, split into words the way a POSIX
    /// shell would (quotes and backslashes), never run through a shell.
    /// </summary>
    public IReadOnlyList<string> SshArgs { get; init; } = [];

    /// <summary><c>ansible_become</c>.</summary>
    public bool Become { get; init; }

    /// <summary><c>ansible_become_user</c>; null means root.</summary>
    public string? BecomeUser { get; init; }

    /// <summary><c>ansible_become_method</c>: sudo, su or doas; null means sudo.</summary>
    public string? BecomeMethod { get; init; }

    /// <summary><c>ansible_become_password</c> (or the older <c>ansible_become_pass</c>).</summary>
    public string? BecomePassword { get; init; }

    /// <summary>Every variable that applied to the host after group and host precedence, for display.</summary>
    public IReadOnlyDictionary<string, string> Vars { get; init; } = new Dictionary<string, string>();

    /// <summary>What ssh is given as the host: <see cref="Address"/> or, without one, <see cref="Name"/>.</summary>
    public string ConnectAddress => Address ?? Name;
}
