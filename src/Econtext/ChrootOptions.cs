namespace Econtext;

/// <summary>
/// A context whose root directory is another directory (<c>chroot</c>): a jail, an image being
/// prepared, a system mounted for repair. The directory needs <c>/bin/sh</c>, and <c>/proc</c>
/// mounted for .NET to run. chroot needs root: start it through <see cref="SudoOptions"/> if this process is not.
/// </summary>
public sealed record ChrootOptions
{
    /// <summary>The directory that becomes the context's root.</summary>
    public required string Directory { get; init; }

    /// <summary>The user (and group) to run as in there (<c>--userspec USER[:GROUP]</c>, names or ids); null keeps this one's.</summary>
    public string? User { get; init; }

    /// <summary>The chroot program, a path or a name looked up in PATH; default <c>chroot</c>.</summary>
    public string ChrootPath { get; init; } = "chroot";

    /// <summary>How long chroot and the context's start may take; default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Name used in logs and errors; defaults to <c>chroot:DIRECTORY</c>, with <c>@via</c> when started through a context.</summary>
    public string? Name { get; init; }

    /// <summary>A context to run chroot in (it becomes the new context's parent), instead of this process.</summary>
    public Context? Via { get; init; }

    /// <summary>The <c>dotnet</c> host inside the directory; by default stage 0 looks in the usual places, then the runtime is shipped.</summary>
    public string? DotnetPath { get; init; }
}
