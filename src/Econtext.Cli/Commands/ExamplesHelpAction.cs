using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Econtext.Cli.Commands;

/// <summary>The standard help, followed by an "Examples:" section for the command asked about.</summary>
internal sealed class ExamplesHelpAction(HelpAction standard, IReadOnlyDictionary<Command, IReadOnlyList<string>> examples)
    : SynchronousCommandLineAction
{
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        int exitCode = standard.Invoke(parseResult);
        if (examples.TryGetValue(parseResult.CommandResult.Command, out IReadOnlyList<string>? lines) && lines.Count > 0)
        {
            TextWriter output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Examples:");
            foreach (string line in lines)
            {
                output.WriteLine("  " + line);
            }

            output.WriteLine();
        }

        return exitCode;
    }
}
