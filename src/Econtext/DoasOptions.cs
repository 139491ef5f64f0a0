namespace Econtext;

/// <summary>A context as another user through OpenBSD's doas (Debian package <c>doas</c>).</summary>
public sealed record DoasOptions
{
    /// <summary>The user the context runs as; default <c>root</c>.</summary>
    public string User { get; init; } = "root";

    /// <summary>The invoking user's password if doas asks for one; typed into its terminal.</summary>
    public string? Password { get; init; }

    /// <summary>The doas program to run, a path or a name looked up in PATH; default <c>doas</c>.</summary>
    public string DoasPath { get; init; } = "doas";

    /// <summary>
    /// How long doas, the password exchange and the context's start may take, together, before
    /// the attempt is abandoned and fails with <see cref="ConnectionFailure.ConnectTimeout"/>; default 30 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Name used in logs and errors; defaults to <c>doas:USER</c>, suffixed with <c>@</c> and the via context's name.</summary>
    public string? Name { get; init; }

    /// <summary>A context to run doas in (it becomes the new context's parent), instead of this process; null runs it here.</summary>
    public Context? Via { get; init; }

    /// <summary>The <c>dotnet</c> host to run as the target user; by default stage 0 looks in the usual places.</summary>
    public string? DotnetPath { get; init; }
}
