namespace Econtext.Cli.Agent.Client;

/// <summary>
/// How to start the agent (the managed tool with <c>agent serve</c>), and which build it is: the tool's
/// assembly path, time and size, so that a client never talks to an agent of another build.
/// </summary>
/// <param name="Program">The dotnet host, or the tool's own executable.</param>
/// <param name="PrefixArgs">What goes before <c>agent serve</c>: the tool's assembly for dotnet.</param>
/// <param name="Assembly">The tool's assembly, Econtext.Cli.dll.</param>
internal sealed record AgentLaunch(string Program, IReadOnlyList<string> PrefixArgs, string Assembly)
{
    public const string AssemblyVariable = "ECONTEXT_CLI_ASSEMBLY";

    /// <summary>The agent's build, as both sides compute it from the same file.</summary>
    public string Identity => IdentityOf(Assembly);

    public static string IdentityOf(string assembly)
    {
        var file = new FileInfo(assembly);
        return file.Exists ? $"{file.FullName}|{file.LastWriteTimeUtc.Ticks}|{file.Length}" : file.FullName + "|missing";
    }

    /// <summary>For the managed tool: the agent is this same program.</summary>
    public static AgentLaunch ForManaged(string assembly)
    {
        string process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileName(process) == "dotnet"
            ? new AgentLaunch(process, [assembly], assembly)
            : new AgentLaunch(process, [], assembly);
    }

    /// <summary>For the native client: the managed tool beside it (or where <c>$ECONTEXT_CLI_ASSEMBLY</c> says), under dotnet.</summary>
    public static AgentLaunch ForNative()
    {
        string assembly = Environment.GetEnvironmentVariable(AssemblyVariable) is { Length: > 0 } chosen
            ? Path.GetFullPath(chosen)
            : Path.Combine(AppContext.BaseDirectory, "Econtext.Cli.dll");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        return new AgentLaunch(dotnet, [assembly], assembly);
    }
}
