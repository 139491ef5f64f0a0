namespace Econtext;

/// <summary>A context inside a buildah working container (<c>buildah run</c>), as a build step would run.</summary>
public sealed record BuildahOptions
{
    /// <summary>The working container's name or id (what <c>buildah from</c> printed).</summary>
    public required string Container { get; init; }

    /// <summary>The user to run as inside the container (<c>--user</c>); null takes the container's.</summary>
    public string? User { get; init; }

    /// <summary>The working directory inside the container (<c>--workingdir</c>); null takes the container's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The buildah program, a path or a name looked up in PATH; default <c>buildah</c>.</summary>
    public string BuildahPath { get; init; } = "buildah";

    /// <summary>buildah's global arguments, placed before <c>run</c> (for example <c>--root</c>, <c>--storage-driver</c>).</summary>
    public IReadOnlyList<string> BuildahArgs { get; init; } = [];

    /// <summary>How long buildah and the context's start may take; default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Name used in logs and errors; defaults to <c>buildah:CONTAINER</c>, with <c>@via</c> when started through a context.</summary>
    public string? Name { get; init; }

    /// <summary>A context to run buildah in (it becomes the new context's parent), instead of this process.</summary>
    public Context? Via { get; init; }

    /// <summary>The <c>dotnet</c> host inside the container; by default stage 0 looks in the usual places, then the runtime is shipped.</summary>
    public string? DotnetPath { get; init; }
}
