namespace Econtext;

/// <summary>A context as another user through sudo, on this host or inside <see cref="Via"/>.</summary>
public sealed record SudoOptions
{
    public string User { get; init; } = "root";

    /// <summary>The invoking user's password if sudo asks for one; never on a command line or in logs.</summary>
    public string? Password { get; init; }

    public string SudoPath { get; init; } = "sudo";

    /// <summary>Extra arguments for sudo, placed before the command.</summary>
    public IReadOnlyList<string> SudoArgs { get; init; } = [];

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Name used in logs and errors; defaults to <c>sudo:USER</c>, suffixed with <c>@</c> and the via context's name.</summary>
    public string? Name { get; init; }

    public Context? Via { get; init; }

    public string? DotnetPath { get; init; }
}
