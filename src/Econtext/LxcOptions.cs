namespace Econtext;

/// <summary>
/// A context inside a running LXC container (<c>lxc-attach</c>), with the container's environment
/// cleared as Ansible's lxc connection does; nothing is needed in the container but <c>/bin/sh</c>
/// (the runtime is shipped in when it has no .NET). <c>lxc-attach</c> needs root for system
/// containers: start it through <see cref="SudoOptions"/> if this process is not.
/// </summary>
public sealed record LxcOptions
{
    /// <summary>The container's name.</summary>
    public required string Container { get; init; }

    /// <summary>The numeric user to run as in there (<c>-u</c>); null: root.</summary>
    public int? UserId { get; init; }

    /// <summary>The numeric group to run as in there (<c>-g</c>); null: root's.</summary>
    public int? GroupId { get; init; }

    /// <summary>
    /// Variables set inside. They are handed to lxc-attach in its own environment and named with
    /// <c>--keep-var NAME</c>, so their values never appear on a command line.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>The directory LXC keeps its containers in (<c>-P</c>); null: LXC's default (<c>/var/lib/lxc</c> for root).</summary>
    public string? LxcPath { get; init; }

    /// <summary>The lxc-attach program, a path or a name looked up in PATH; default <c>lxc-attach</c>.</summary>
    public string LxcAttachPath { get; init; } = "lxc-attach";

    /// <summary>How long lxc-attach and the context's start may take; default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Name used in logs and errors; defaults to <c>lxc:CONTAINER</c>, with <c>@via</c> when started through a context.</summary>
    public string? Name { get; init; }

    /// <summary>A context to run lxc-attach in (it becomes the new context's parent), instead of this process.</summary>
    public Context? Via { get; init; }

    /// <summary>The <c>dotnet</c> host inside the container; by default stage 0 looks in the usual places, then the runtime is shipped.</summary>
    public string? DotnetPath { get; init; }
}
