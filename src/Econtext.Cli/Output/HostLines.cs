using System.Text;

namespace Econtext.Cli.Output;

/// <summary>
/// Writes a host's output lines, each as "HOST | line" (stderr: "HOST ! line"), a block of them in one
/// write under <see cref="ConsoleGate.Lines"/>: lines of different hosts never mix mid-line, and many lines
/// cost one write, not a console call and a lock each. Not through Spectre: its markup would be parsed and
/// escaped line by line and wrapped at the console's width, where a pipe wants each line whole.
/// </summary>
internal sealed class HostLines(TextWriter output, TextWriter error, string host, int width, bool colour, bool errorColour)
{
    private const string Cyan = "\e[36m";
    private const string Red = "\e[31m";
    private const string Reset = "\e[0m";

    private readonly string _outPrefix = Prefix(host, width, colour, error: false);
    private readonly string _errPrefix = Prefix(host, width, errorColour, error: true);
    private readonly StringBuilder _block = new();

    /// <summary>Writes <paramref name="lines"/> (LF-separated, no final LF) to stdout, or to stderr when <paramref name="isError"/>.</summary>
    public void Write(string lines, bool isError)
    {
        string prefix = isError ? _errPrefix : _outPrefix;
        _block.Clear();
        ReadOnlySpan<char> rest = lines;
        while (true)
        {
            int end = rest.IndexOf('\n');
            _block.Append(prefix).Append(end < 0 ? rest : rest[..end]).Append('\n');
            if (end < 0)
            {
                break;
            }

            rest = rest[(end + 1)..];
        }

        TextWriter target = isError ? error : output;
        lock (ConsoleGate.Lines)
        {
            target.Write(_block.ToString());
            target.Flush();
        }
    }

    private static string Prefix(string host, int width, bool colour, bool error)
    {
        string name = host.PadRight(width);
        string mark = error ? "!" : "|";
        return colour
            ? $"{Cyan}{name}{Reset} {(error ? Red + mark + Reset : mark)} "
            : $"{name} {mark} ";
    }
}
