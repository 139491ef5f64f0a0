using System.CommandLine;
using System.CommandLine.Parsing;

namespace Econtext.Cli.Commands;

/// <summary>
/// The positional words of a command, and where <c>--</c> stood among them. Host commands take an
/// optional TARGETS first, which only the number of words (or the <c>--</c>) can tell apart from the rest.
/// </summary>
internal sealed record CommandWords(IReadOnlyList<string> BeforeDoubleDash, IReadOnlyList<string>? AfterDoubleDash)
{
    /// <summary>Every word, wherever the <c>--</c> stood, for commands that do not care.</summary>
    public IReadOnlyList<string> All => [.. BeforeDoubleDash, .. AfterDoubleDash ?? []];

    public static Argument<string[]> CreateArgument(string helpName, string description) => new(helpName)
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static CommandWords Read(ParseResult parseResult, Argument<string[]> argument)
    {
        string[] all = parseResult.GetValue(argument) ?? [];

        // Tokens keeps the "--" that the argument's values lose. Every token after it is one of this
        // argument's words (options' values before it are Argument tokens too, so count from the end).
        int after = -1;
        foreach (Token token in parseResult.Tokens)
        {
            if (after >= 0)
            {
                after++;
            }
            else if (token.Type == TokenType.DoubleDash)
            {
                after = 0;
            }
        }

        int before = after < 0 ? all.Length : Math.Max(0, all.Length - after);

        // An option this command does not have lands here as a word; say so instead of taking it for a host.
        if (all[..before].FirstOrDefault(w => w.Length > 1 && w[0] == '-') is string unknown)
        {
            throw new UsageException($"{parseResult.CommandResult.Command.Name} has no option {unknown}. Put a program's own options after --, e.g. econtext exec web1 -- ls -l");
        }

        if (after < 0)
        {
            return new CommandWords(all, null);
        }
        return new CommandWords(all[..before], all[before..]);
    }
}
