using Econtext.Cli.Commands;
using Spectre.Console;

namespace Econtext.Cli.Running;

/// <summary>
/// What one command invocation reads and writes, in place of the process's console: its output and error
/// streams, whether they are a terminal, its working directory and environment, how it asks for a password,
/// and where its contexts come from. A plain run uses this process's own (<see cref="Process"/>); the agent
/// runs several commands at once, each with the client's, set in <see cref="Current"/> for the invocation.
/// </summary>
internal sealed class CliSession
{
    private static readonly AsyncLocal<CliSession?> s_current = new();
    /// <summary>
    /// The console width when output is not a terminal: so wide that nothing wraps. Spectre sizes a console
    /// that is not a terminal at 80 columns, which broke long lines mid-sentence without their host prefix
    /// and squeezed the facts table; a pipe or a file wants each line whole, as Ansible writes them.
    /// </summary>
    public const int UnwrappedWidth = 1 << 20;

    private static readonly Lazy<CliSession> s_process = new(() => new CliSession
    {
        Out = Buffered(System.Console.OpenStandardOutput()),
        Error = Buffered(System.Console.OpenStandardError()),
        Console = Sized(AnsiConsole.Console, System.Console.IsOutputRedirected),
        OutputIsTerminal = !System.Console.IsOutputRedirected,
        WorkingDirectory = Environment.CurrentDirectory,
        Variables = null,
        ReadPassword = PasswordPrompt.ReadFromTerminal,
        OpenContexts = settings => new OneShotContexts(settings),
    });

    /// <summary>The invocation's session: the agent's for the request it runs, else this process's console.</summary>
    public static CliSession Current
    {
        get => s_current.Value ?? s_process.Value;
        set => s_current.Value = value;
    }

    /// <summary>The console as it is, or unwrapped when its output is not a terminal.</summary>
    public static IAnsiConsole Sized(IAnsiConsole console, bool redirected)
    {
        if (redirected)
        {
            console.Profile.Width = UnwrappedWidth;
        }

        return console;
    }

    /// <summary>
    /// A writer that flushes after each write, as Console.Out does, but with a buffer to match: Console.Out
    /// makes a write() of each 256 characters, and exec writes its lines in blocks of up to 32 KiB.
    /// </summary>
    private static TextWriter Buffered(Stream stream) =>
        TextWriter.Synchronized(new StreamWriter(stream, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 64 * 1024) { AutoFlush = true });

    /// <summary>This process's own console, directory and environment.</summary>
    public static CliSession Process => s_process.Value;

    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>Spectre's console over <see cref="Out"/>, sized and coloured for where it goes.</summary>
    public required IAnsiConsole Console { get; init; }

    public required bool OutputIsTerminal { get; init; }

    public required string WorkingDirectory { get; init; }

    /// <summary>The invocation's environment; null for this process's.</summary>
    public required IReadOnlyDictionary<string, string>? Variables { get; init; }

    /// <summary>Asks for a password where the person typing is (the client's terminal for the agent).</summary>
    public required Func<string, string> ReadPassword { get; init; }

    /// <summary>Where a run gets its contexts: fresh ones shut down after each host, or the agent's warm ones.</summary>
    public required Func<RunSettings, IHostContexts> OpenContexts { get; init; }

    /// <summary>The agent this session runs in, for <c>econtext agent status|stop</c>; null in a plain run.</summary>
    public Agent.AgentServer? Agent { get; init; }

    /// <summary>A path the person typed, made absolute against their working directory (not the agent's).</summary>
    public string FullPath(string path) => Path.GetFullPath(path, WorkingDirectory);

    /// <summary>A variable of the invocation's environment.</summary>
    public string? Variable(string name) =>
        Variables is null ? Environment.GetEnvironmentVariable(name) : Variables.TryGetValue(name, out string? value) ? value : null;
}
