namespace Econtext.Cli.Scripting;

/// <summary>The script did not compile; nothing was loaded and nothing should connect.</summary>
internal sealed class ScriptCompilationException : Exception
{
    public ScriptCompilationException(IReadOnlyList<CompileError> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        Errors = errors;
    }

    public ScriptCompilationException()
        : this([])
    {
    }

    public ScriptCompilationException(string message)
        : base(message)
    {
        Errors = [];
    }

    public ScriptCompilationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    public IReadOnlyList<CompileError> Errors { get; }
}
