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
    /// How arguments are parsed: without System.CommandLine's response files, because an argument that starts with
    /// '@' is Ansible's (--limit @retry.txt reads a file of host patterns), not a file of more arguments.
    /// </summary>
    public static ParserConfiguration Parsing { get; } = new() { ResponseFileTokenReplacer = null };

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
            AgentCommand.Persist,
            AgentCommand.NoAgent,
        };
        AgentCommand.Validate();
        var examples = new Dictionary<Command, IReadOnlyList<string>>
        {
            [root] =
            [
                "econtext facts                                    # a local context reports on this host",
                "econtext facts web1,deploy@web2:2222 --json",
                "econtext exec -i hosts.ini 'web:!db' -- uptime",
                "econtext eval -i hosts.yml all 'Environment.ProcessorCount'",
                "econtext run web1 --become check.csx",
                "econtext copy web1,web2 app.conf /etc/app/ --become",
                "econtext fetch -i hosts.ini all /etc/os-release ./facts",
                "econtext agent status                             # the contexts kept warm between commands",
                "econtext exec --help",
            ],
        };

        Add(root, examples, FactsCommand.Create(), FactsCommand.Examples);
        Add(root, examples, ExecCommand.Create(), ExecCommand.Examples);
        Add(root, examples, ScriptCommands.CreateEval(), ScriptCommands.EvalExamples);
        Add(root, examples, ScriptCommands.CreateRun(), ScriptCommands.RunExamples);
        Add(root, examples, CopyCommand.Create(), CopyCommand.Examples);
        Add(root, examples, FetchCommand.Create(), FetchCommand.Examples);
        Add(root, examples, AgentCommand.Create(), AgentCommand.Examples);
        Add(root, examples, InventoryCommand.Create(), InventoryCommand.Examples);

        // Every command's help ends with its examples, so the help option of each gets the same action.
        foreach (Command command in examples.Keys)
        {
            foreach (Option option in command.Options)
            {
                if (option is HelpOption help && help.Action is HelpAction standard)
                {
                    help.Action = new ExamplesHelpAction(standard, examples);
                }
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
