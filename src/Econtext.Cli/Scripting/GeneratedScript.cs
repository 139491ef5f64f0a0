using Microsoft.CodeAnalysis.Text;

namespace Econtext.Cli.Scripting;

/// <summary>
/// The C# that wraps a script: its text, and where in it the script's final expression sits when
/// that expression may be the script's value (so the compiler can ask for its type).
/// </summary>
internal sealed record GeneratedScript(string Source, TextSpan? ValueExpression);
