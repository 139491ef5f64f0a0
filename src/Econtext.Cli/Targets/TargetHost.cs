namespace Econtext.Cli.Targets;

/// <summary>
/// One host a command runs on, as the command line or an inventory describes it. The field names follow
/// Ansible's host variables so an inventory maps onto them one to one.
/// </summary>
internal sealed record TargetHost
{
    /// <summary>The name shown in output and matched by patterns: the inventory name, or the text typed.</summary>
    public required string Name { get; init; }

    /// <summary><c>ansible_connection</c>, or the scheme typed (<c>podman://</c>...): how the host is reached.</summary>
    public TargetConnection Connection { get; init; } = TargetConnection.Ssh;

    /// <summary>True for the local default target (and <c>ansible_connection=local</c>): a local context, no ssh.</summary>
    public bool IsLocal => Connection == TargetConnection.Local;

    /// <summary>
    /// <c>ansible_host</c>: the address or ssh_config alias to connect to; for a container its name or id, for a
    /// chroot its directory. Null means <see cref="Name"/>.
    /// </summary>
    public string? Address { get; init; }

    /// <summary><c>ansible_port</c>.</summary>
    public int? Port { get; init; }

    /// <summary>
    /// <c>ansible_user</c>: the ssh login, or the user inside a container (<c>--user</c>); for a chroot typed as
    /// <c>chroot://USER@DIR</c> its <c>--userspec</c>, for <c>nsenter://UID[:GID]@PID</c> the ids.
    /// </summary>
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

    /// <summary>
    /// The engine or program to run instead of the one found in PATH: <c>ansible_podman_executable</c>,
    /// <c>ansible_buildah_executable</c>, <c>ansible_chroot_exe</c>.
    /// </summary>
    public string? ProgramPath { get; init; }

    /// <summary>
    /// Global arguments for the engine, before <c>exec</c> or <c>run</c>: <c>ansible_podman_extra_args</c>,
    /// <c>ansible_docker_extra_args</c>, <c>ansible_buildah_extra_args</c>, split into words.
    /// </summary>
    public IReadOnlyList<string> EngineArgs { get; init; } = [];

    /// <summary>Variables for the engine process itself (DOCKER_HOST from <c>ansible_docker_docker_host</c>); null for none.</summary>
    public IReadOnlyDictionary<string, string>? EngineEnvironment { get; init; }

    /// <summary>Variables set inside the container: <c>ansible_podman_extra_env</c>, <c>ansible_docker_extra_env</c>; null for none.</summary>
    public IReadOnlyDictionary<string, string>? ContainerEnvironment { get; init; }

    /// <summary>
    /// The working directory inside the container: <c>ansible_podman_working_directory</c>,
    /// <c>ansible_docker_working_dir</c>, <c>ansible_buildah_working_directory</c>; null takes the container's.
    /// </summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The process whose namespaces an nsenter host enters: <c>ansible_nsenter_pid</c> (default 1), or the pid typed.</summary>
    public int? Pid { get; init; }

    /// <summary>
    /// The namespaces an nsenter host enters, as nsenter's options; empty for the library's default (all of them,
    /// with the process's root and working directory).
    /// </summary>
    public IReadOnlyList<string> NsenterArgs { get; init; } = [];

    /// <summary>Every variable that applied to the host after group and host precedence, for display.</summary>
    public IReadOnlyDictionary<string, string> Vars { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Why econtext cannot reach this inventory host (an <c>ansible_connection</c> it lacks, a Jinja template in a
    /// variable it uses), in words for the person; null for a host it can reach. Such a host fails when selected.
    /// </summary>
    public string? Refusal { get; init; }

    /// <summary>What ssh is given as the host, the engine as the container, chroot as the directory: <see cref="Address"/> or, without one, <see cref="Name"/>.</summary>
    public string ConnectAddress => Address ?? Name;
}
