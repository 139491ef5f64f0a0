namespace Econtext;

/// <summary>A context as another user through su (which reads the password from a terminal).</summary>
public sealed record SuOptions
{
    public string User { get; init; } = "root";

    /// <summary>The target user's password; typed into su's terminal, never on a command line or in logs.</summary>
    public string? Password { get; init; }

    public string SuPath { get; init; } = "su";

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string? Name { get; init; }

    public Context? Via { get; init; }

    public string? DotnetPath { get; init; }
}
