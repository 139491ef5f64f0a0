namespace Econtext;

/// <summary>
/// A context in the namespaces of a running process (<c>nsenter --all</c>): the way into a
/// systemd-nspawn machine, a network namespace, or a container through its main process (its pid
/// is <c>podman inspect -f '{{.State.Pid}}' NAME</c>). Entering another process's namespaces needs
/// root (or CAP_SYS_ADMIN): start it through <see cref="SudoOptions"/> if this process is not.
/// </summary>
public sealed record NsenterOptions
{
    /// <summary>The process whose namespaces, root directory and working directory the context enters.</summary>
    public required int Pid { get; init; }

    /// <summary>The numeric user to become in there (<c>--setuid</c>); null keeps this one's.</summary>
    public int? UserId { get; init; }

    /// <summary>The numeric group to become in there (<c>--setgid</c>); null keeps this one's.</summary>
    public int? GroupId { get; init; }

    /// <summary>The nsenter program, a path or a name looked up in PATH; default <c>nsenter</c>.</summary>
    public string NsenterPath { get; init; } = "nsenter";

    /// <summary>
    /// The namespaces to enter, as nsenter's options (for example <c>["--net"]</c> for only the
    /// network namespace); empty enters all of them (<c>--all</c>) with the process's root and working directory.
    /// </summary>
    public IReadOnlyList<string> NsenterArgs { get; init; } = [];

    /// <summary>How long nsenter and the context's start may take; default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Name used in logs and errors; defaults to <c>nsenter:PID</c>, with <c>@via</c> when started through a context.</summary>
    public string? Name { get; init; }

    /// <summary>A context to run nsenter in (it becomes the new context's parent), instead of this process.</summary>
    public Context? Via { get; init; }

    /// <summary>The <c>dotnet</c> host inside the namespaces; by default stage 0 looks in the usual places, then the runtime is shipped.</summary>
    public string? DotnetPath { get; init; }
}
