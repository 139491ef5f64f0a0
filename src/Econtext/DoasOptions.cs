namespace Econtext;

/// <summary>A context as another user through OpenBSD's doas (Debian package <c>doas</c>).</summary>
public sealed record DoasOptions
{
    public string User { get; init; } = "root";

    /// <summary>The invoking user's password if doas asks for one; typed into its terminal.</summary>
    public string? Password { get; init; }

    public string DoasPath { get; init; } = "doas";

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string? Name { get; init; }

    public Context? Via { get; init; }

    public string? DotnetPath { get; init; }
}
