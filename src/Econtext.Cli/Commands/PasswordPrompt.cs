using Econtext.Cli.Agent.Client;

namespace Econtext.Cli.Commands;

/// <summary>Reads a password from this process's terminal without echoing it.</summary>
internal static class PasswordPrompt
{
    /// <summary>The message when there is no terminal to ask on; the agent gives the same one.</summary>
    public const string NoTerminal = "-K asks for the become password on a terminal, and standard input is not one. Use --become-password-file FILE instead.";

    public static string ReadFromTerminal(string prompt) =>
        TerminalPassword.Read(prompt) ?? throw new UsageException(NoTerminal);
}
