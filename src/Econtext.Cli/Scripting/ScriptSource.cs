namespace Econtext.Cli.Scripting;

/// <summary>C# to compile, and the name its errors are reported under.</summary>
internal sealed record ScriptSource(ScriptKind Kind, string Text, string FileName)
{
    public const string EvalFileName = "<eval>";

    public static ScriptSource ForEval(string text) => new(ScriptKind.Eval, text, EvalFileName);

    /// <summary>Reads a .csx file; errors name it as the user wrote it.</summary>
    public static ScriptSource FromFile(string path) => new(ScriptKind.ScriptFile, File.ReadAllText(path), path);
}
