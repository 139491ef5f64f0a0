namespace Econtext.Cli.Remote;

/// <summary>One item of a process's run as <see cref="ProcessRunner.RunAsync"/> streams it back.</summary>
/// <param name="Kind">Which stream <paramref name="Text"/> came from, or <see cref="ProcessOutputKind.Exit"/> for the last item.</param>
/// <param name="Text">A line without its newline; null for the exit item.</param>
/// <param name="ExitCode">The exit code on the exit item (128 + N for a signal, as a shell reports it); 0 otherwise.</param>
public sealed record ProcessOutput(ProcessOutputKind Kind, string? Text, int ExitCode);
