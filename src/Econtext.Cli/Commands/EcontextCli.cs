using System.CommandLine;
using System.CommandLine.Help;

namespace Econtext.Cli.Commands;

/// <summary>Assembles the command tree. Each command lives in its own file and brings its own examples.</summary>
internal static class EcontextCli
{
    public const string Description =
        "econtext starts .NET contexts (child processes that run your own code, with nothing installed on the "
        + "target) and works with them from the command line. It uses the Econtext library's bootstrap, the same "
        + "one a program gets from Router.LocalAsync.";

    /// <summary>
    /// The root is a plain command named "econtext" rather than a RootCommand, whose name would be the
    /// assembly's (Econtext.Cli: it cannot be "econtext", which the runtime would confuse with the
    /// Econtext library because assembly names ignore case).
    /// </summary>
    public static Command Build()
    {
        var root = new Command("econtext", Description)
        {
            new HelpOption(),
            new VersionOption(),
        };
        var examples = new Dictionary<Command, IReadOnlyList<string>>
        {
            [root] =
            [
                "econtext facts",
                "econtext facts --json",
                "econtext facts --help",
            ],
        };

        Add(root, examples, FactsCommand.Create(), FactsCommand.Examples);

        foreach (Option option in root.Options)
        {
            if (option is HelpOption help && help.Action is HelpAction standard)
            {
                help.Action = new ExamplesHelpAction(standard, examples);
            }
        }

        return root;
    }

    private static void Add(Command root, Dictionary<Command, IReadOnlyList<string>> examples, Command command, IReadOnlyList<string> commandExamples)
    {
        root.Subcommands.Add(command);
        examples[command] = commandExamples;
    }
}
