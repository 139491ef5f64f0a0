namespace Econtext.Bootstrap;

/// <summary>
/// The runtime's diagnostic endpoints (debugger pipes, the diagnostics IPC socket) are files in the
/// target's temp directory that live as long as the process and stay for good after a SIGKILL or an
/// OOM kill. Stage 0 turns them off with <c>DOTNET_EnableDiagnostics=0</c> unless the target's
/// environment already sets that variable (which is how a user asks for a debuggable context), and
/// the child takes it out again first thing, so the processes the user's code starts inherit the
/// environment the context was given.
/// </summary>
internal static class RuntimeDiagnostics
{
    public const string Variable = "DOTNET_EnableDiagnostics";

    /// <summary>Set by stage 0 beside <see cref="Variable"/> when it was stage 0 that set it.</summary>
    public const string SetByStage0 = "ECONTEXT_SET_DOTNET_EnableDiagnostics";

    /// <summary>Stage 0's part: shell builtins only, ahead of the final exec.</summary>
    public const string Stage0Script =
        "if [ -z \"${" + Variable + "+x}\" ];then " + Variable + "=0;" + SetByStage0 + "=1;export " + Variable + " " + SetByStage0 + ";fi;";

    /// <summary>In the child, before any user code runs.</summary>
    public static void RestoreEnvironment()
    {
        if (Environment.GetEnvironmentVariable(SetByStage0) is not null)
        {
            // The .NET copy of the environment, which Process.Start and the transports' spawns pass on.
            Environment.SetEnvironmentVariable(Variable, null);
            Environment.SetEnvironmentVariable(SetByStage0, null);
        }
    }
}
