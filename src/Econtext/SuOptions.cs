namespace Econtext;

/// <summary>A context as another user through su (which reads the password from a terminal).</summary>
public sealed record SuOptions
{
    /// <summary>The user the context runs as; default <c>root</c>.</summary>
    public string User { get; init; } = "root";

    /// <summary>The target user's password; typed into su's terminal, never on a command line or in logs.</summary>
    public string? Password { get; init; }

    /// <summary>The su program to run, a path or a name looked up in PATH; default <c>su</c>.</summary>
    public string SuPath { get; init; } = "su";

    /// <summary>
    /// How long su, the password exchange and the context's start may take, together, before
    /// the attempt is abandoned and fails with <see cref="ConnectionFailure.ConnectTimeout"/>; default 30 s.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Name used in logs and errors; defaults to <c>su:USER</c>, suffixed with <c>@</c> and the via context's name.</summary>
    public string? Name { get; init; }

    /// <summary>A context to run su in (it becomes the new context's parent), instead of this process; null runs it here.</summary>
    public Context? Via { get; init; }

    /// <summary>The <c>dotnet</c> host to run as the target user; by default stage 0 looks in the usual places.</summary>
    public string? DotnetPath { get; init; }
}
