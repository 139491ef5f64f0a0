namespace Econtext;

/// <summary>A context in a child process on this machine, started through the same bootstrap as remote ones.</summary>
public sealed record LocalOptions
{
    /// <summary>Name used in logs and errors; defaults to <c>local.PID</c>.</summary>
    public string? Name { get; init; }

    /// <summary>The <c>dotnet</c> host to run; by default stage 0 looks in the usual places.</summary>
    public string? DotnetPath { get; init; }

    /// <summary>How long the child may take to start and report ready.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A context to start the child from (it becomes the child's parent), instead of this process.</summary>
    public Context? Via { get; init; }

    /// <summary>Extra environment variables for the child process.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
}
