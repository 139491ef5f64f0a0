namespace Econtext.Cli.Scripting;

/// <summary>Where script text came from: it decides the display name and the assembly's name.</summary>
internal enum ScriptKind
{
    /// <summary>The text of <c>econtext eval</c>.</summary>
    Eval,

    /// <summary>A <c>.csx</c> file given to <c>econtext run</c>.</summary>
    ScriptFile,
}
