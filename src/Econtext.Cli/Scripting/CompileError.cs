using System.Globalization;

namespace Econtext.Cli.Scripting;

/// <summary>One compiler error, positioned in the user's text (1-based line and column).</summary>
internal sealed record CompileError(string File, int Line, int Column, string Id, string Message)
{
    /// <summary>The compiler's own format, so editors and terminals that recognise it can jump to it.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{File}({Line},{Column}): error {Id}: {Message}");
}
