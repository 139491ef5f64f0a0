using System.Globalization;

namespace Econtext.Cli.Remote;

/// <summary>One item of a process's run as <see cref="ProcessRunner.RunAsync"/> streams it back.</summary>
/// <param name="Kind">Which stream <paramref name="Text"/> came from, or <see cref="ProcessOutputKind.Exit"/> for the last item.</param>
/// <param name="Text">One or more lines, each without its newline, joined by LF; null for the exit item.</param>
/// <param name="ExitCode">The exit code on the exit item (128 + N for a signal, as a shell reports it); 0 otherwise.</param>
public sealed record ProcessOutput(ProcessOutputKind Kind, string? Text, int ExitCode)
{
    /// <summary>The lines of <see cref="Text"/>; none for the exit item.</summary>
    public string[] Lines => Text is null ? [] : Text.Split('\n');

    /// <summary>One tag character, then the lines (o: stdout, e: stderr) or the exit code (x).</summary>
    public string Encode() => Kind switch
    {
        ProcessOutputKind.StandardOutput => "o" + Text,
        ProcessOutputKind.StandardError => "e" + Text,
        _ => "x" + ExitCode.ToString(CultureInfo.InvariantCulture),
    };

    public static ProcessOutput Decode(string item) => item.Length == 0 ? throw new FormatException("an empty process output item") : item[0] switch
    {
        'o' => new ProcessOutput(ProcessOutputKind.StandardOutput, item[1..], 0),
        'e' => new ProcessOutput(ProcessOutputKind.StandardError, item[1..], 0),
        'x' => new ProcessOutput(ProcessOutputKind.Exit, null, int.Parse(item.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)),
        _ => throw new FormatException($"a process output item tagged '{item[0]}'"),
    };
}
