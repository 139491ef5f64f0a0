namespace Econtext.Cli.Remote;

/// <summary>Where a <see cref="ProcessOutput"/> item came from.</summary>
public enum ProcessOutputKind
{
    StandardOutput,
    StandardError,
    Exit,
}
