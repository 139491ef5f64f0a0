namespace Econtext;

/// <summary>
/// Why parts of Econtext cannot run trimmed or compiled ahead of time (native AOT), as the messages
/// of their <c>RequiresUnreferencedCode</c> and <c>RequiresDynamicCode</c> attributes. The analyzers
/// that check them run with <c>-p:EcontextAotAnalysis=true</c>; docs/architecture.md ("Trimming and
/// native AOT") says which parts a native client could use.
/// </summary>
internal static class AotNotes
{
    /// <summary>Calls: arguments and results are typed by reflection over the user's method.</summary>
    public const string Calls =
        "A call's arguments and result are serialized with System.Text.Json by reflection over the called method's declared types, "
        + "and generic code is instantiated over them at run time: this needs the JIT and untrimmed metadata.";

    /// <summary>Assembly shipping: children receive IL images read from assembly files.</summary>
    public const string Images =
        "Children are sent the IL of the Econtext core and of the code they call, read from the assembly files and scanned for what it "
        + "references: a trimmed or native-AOT application has no such files or has changed them.";

    /// <summary><see cref="InMemoryAssemblies.Load"/>: an assembly loaded from bytes at run time.</summary>
    public const string InMemory =
        "Loads an assembly from bytes at run time, whose code the trimmer never saw; and only a JIT runtime can run it.";

    /// <summary>The child side: it always runs on the JIT runtime the loader starts.</summary>
    public const string Child =
        "Runs only in a context, which the loader always starts on a JIT runtime (dotnet exec) from untrimmed IL images; never in a trimmed or native-AOT process.";
}
